#include "replication/engine.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "common/log.hpp"

namespace freightliner::replication {
namespace {

// What JSON log lines of one tag's copy carry, whichever layer logs them (retries, uploads).
nlohmann::json TaskLogFields(const CopyTask& task) {
  nlohmann::json fields = {{"source", task.source.String()},
                           {"destination", task.destination.String()},
                           {"registry", task.source.repository.registry},
                           {"repository", task.source.repository.path}};
  if (!task.source.tag.empty()) fields["tag"] = task.source.tag;
  if (!task.source.digest.empty()) fields["digest"] = task.source.digest;
  return fields;
}

}  // namespace

Engine::Engine(registry::ClientPool& clients, WorkerPool& pool, EngineOptions options,
               EngineObserver observer, BlobLedger* ledger)
    : clients_(clients),
      pool_(pool),
      options_(options),
      observer_(std::move(observer)),
      dry_run_memory_(options.dry_run ? options.dry_run_memory : nullptr),
      own_ledger_(&dry_run_memory_),
      // A dry run records the blobs it would transfer: in a ledger of its own, never in one a
      // real run trusts.
      ledger_(ledger != nullptr && !options.dry_run ? ledger : &own_ledger_),
      transfer_slots_(std::max(1, options.max_transfers)) {}

TaskResult Engine::RunOne(const CopyTask& task, std::stop_token stop) {
  TaskResult result{.task = task};
  if (stop.stop_requested()) return result;  // pending: never started
  if (task.rejected) {
    result.state = TaskState::kFailed;
    result.error = task.rejected;
    return result;
  }
  if (observer_.on_task_start) observer_.on_task_start(task);
  const auto start = std::chrono::steady_clock::now();
  auto finish = [&](TaskState state, std::optional<Error> error) {
    result.state = state;
    result.error = std::move(error);
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
  };
  auto src = clients_.Get(task.source.repository.registry, registry::Role::kSource);
  if (!src) return finish(TaskState::kFailed, src.error());
  auto dst = clients_.Get(task.destination.repository.registry, registry::Role::kDestination);
  if (!dst) return finish(TaskState::kFailed, dst.error());

  CopyOptions copy{.platforms = task.platforms,
                   .force = options_.force,
                   .dry_run = options_.dry_run,
                   .blob_concurrency = options_.blob_concurrency,
                   .ledger = ledger_,
                   .transfer_slots = &transfer_slots_,
                   .destination_has_tag = task.destination_has_tag,
                   .destination_repository_is_new = task.destination_repository_is_new,
                   .destination_last_digest = task.destination_last_digest,
                   .before_manifest_put = options_.before_manifest_put};
  copy.retry = clients_.retry_policy();
  CopyObserver copy_observer;
  if (observer_.on_bytes || observer_.on_task_bytes) {
    copy_observer.on_bytes = [this, &task](uint64_t n) {
      if (observer_.on_bytes) observer_.on_bytes(n);
      if (observer_.on_task_bytes) observer_.on_task_bytes(task, n);
    };
  }
  Copier copier(**src, **dst, copy, std::move(copy_observer));
  auto report = copier.Copy(task.source, task.destination, stop);
  if (!report) {
    // Stopped mid-copy: not a failure of the tag; it stays pending for a resume.
    if (report.error().code == ErrorCode::kCanceled && stop.stop_requested()) {
      return finish(TaskState::kPending, std::nullopt);
    }
    return finish(TaskState::kFailed, report.error());
  }
  result.report = std::move(*report);
  return finish(result.report.up_to_date ? TaskState::kUpToDate : TaskState::kDone, std::nullopt);
}

RunSummary Engine::Run(const std::vector<CopyTask>& tasks, std::stop_token stop) {
  return Run(
      [&tasks](const AddTask& add, std::stop_token) {
        for (const CopyTask& task : tasks)
          add(task);
        return Ok();
      },
      stop);
}

RunSummary Engine::Run(const Producer& produce, std::stop_token stop) {
  const auto start = std::chrono::steady_clock::now();
  std::stop_source run_stop;
  std::stop_callback link(stop, [&] { run_stop.request_stop(); });
  std::mutex mu;
  std::condition_variable all_ended;
  int64_t running = 0;  // added and not yet ended
  RunSummary summary;
  const nlohmann::json caller_log_fields = CurrentLogFields();  // a run or job id

  auto count = [&](const TaskResult& result) {
    std::lock_guard lock(mu);
    switch (result.state) {
      case TaskState::kDone:
        ++summary.copied;
        summary.bytes += result.report.bytes_transferred;
        summary.layers += result.report.layers_transferred;
        summary.blobs_uploaded += result.report.blobs_uploaded;
        summary.blobs_mounted += result.report.blobs_mounted;
        summary.blobs_existing += result.report.blobs_existing;
        break;
      case TaskState::kUpToDate:
        ++summary.up_to_date;
        break;
      case TaskState::kFailed:
        ++summary.failed;
        summary.failures.push_back(result);
        break;
      case TaskState::kPending:
        ++summary.not_run;
        break;
    }
  };
  auto add = [&](CopyTask task) {
    {
      std::lock_guard lock(mu);
      ++summary.total;
      ++running;
    }
    pool_.Submit([&, task = std::move(task)] {
      TaskResult result;
      ScopedLogFields inherited(caller_log_fields);
      ScopedLogFields log_fields(TaskLogFields(task));
      // Whatever happens inside, the task must end or Run never returns.
      try {
        result = RunOne(task, run_stop.get_token());
      } catch (...) {  // std::exception or not: a non-std one must still end the task
        const std::string what = ExceptionMessage(std::current_exception());
        spdlog::error("copy of {} threw: {}", task.source.String(), what);
        if (observer_.on_panic) observer_.on_panic(what.c_str());
        result = TaskResult{
            .task = task, .state = TaskState::kFailed, .error = Error(ErrorCode::kInternal, what)};
      }
      count(result);
      if (result.state == TaskState::kFailed && options_.fail_fast) run_stop.request_stop();
      if (observer_.on_task_done) observer_.on_task_done(result);
      // Notified under the lock: once `running` is 0, Run may return and destroy `all_ended`.
      std::lock_guard lock(mu);
      if (--running == 0) all_ended.notify_all();
    });
  };
  auto wait_for_tasks = [&] {
    std::unique_lock lock(mu);
    all_ended.wait(lock, [&] { return running == 0; });
  };
  try {
    if (Status produced = produce(add, run_stop.get_token()); !produced) run_stop.request_stop();
  } catch (...) {
    // The tasks it added use this frame: they end (stopped) before the exception goes on to the
    // caller's thread boundary, which counts it.
    run_stop.request_stop();
    wait_for_tasks();
    throw;
  }
  wait_for_tasks();
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // Tasks end in any order: failures are listed by reference.
  std::sort(summary.failures.begin(), summary.failures.end(),
            [](const TaskResult& a, const TaskResult& b) {
              const std::string sa = a.task.source.String(), sb = b.task.source.String();
              if (sa != sb) return sa < sb;
              return a.task.destination.String() < b.task.destination.String();
            });
  return summary;
}

}  // namespace freightliner::replication
