#pragma once
// `--format` for inspect: a Go-template-like field selector over skopeo's field names, or a
// jq-style path over the -o json document.
//
//   RenderFormat("{{.Architecture}}/{{.Os}}", view, doc)  // "amd64/linux"
//   RenderFormat("{{json .Env}}", view, doc)              // ["PATH=/bin"]
//   RenderFormat(".config.Labels", view, doc)             // {"a":"b"}
//
// Templates: text with actions `{{.Field.Key}}`, `{{.}}`, `{{json PATH}}` and
// `{{index PATH "key" 0}}`; anything else (pipes, range, if) is an error. A value prints as Go
// prints it (strings as they are, lists as [a b], maps as map[k:v], missing keys as <no value>).
// Paths: `.`, `.a.b`, `.a[0]`, `.a["k.with.dots"]`; a string prints raw (as `jq -r`), anything
// else as compact JSON, a missing key as null. Strings from the registry are escaped: control
// characters, quotes and backslashes never reach the terminal raw.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace freightliner::cli {

// `view` is what templates select from (skopeo's names), `doc` what paths select from.
Result<std::string> RenderFormat(std::string_view format, const nlohmann::json& view,
                                 const nlohmann::json& doc);

}  // namespace freightliner::cli
