#pragma once
// `freightliner serve`: the API, the metrics endpoint and the job runners, until stopped.

#include <stop_token>

#include "common/error.hpp"
#include "server/config.hpp"

namespace freightliner::server {

// Serves until `stop`; then stops accepting requests, lets running jobs checkpoint and stop
// (up to config.shutdown_timeout) and returns. An error means it could not start.
Status Serve(const ServerConfig& config, std::stop_token stop);

}  // namespace freightliner::server
