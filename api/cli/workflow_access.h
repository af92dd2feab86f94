// What the workflow subcommands (command, process, download) share: the writable environment,
// the settings from --config, and the clock (--now TIME fixes it, for demos and for replaying a
// day's timers; the events' own timestamps always come from the real clock).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "api/cli/arguments.h"
#include "api/cli/store_access.h"
#include "engine/workflow/settings_file.h"

namespace kakitome::cli {

struct WorkflowEnvironment {
    std::unique_ptr<Environment> environment;
    workflow::Settings settings;
    std::function<std::int64_t()> clock_ms;
};

// Flags it reads: --data, --master-key, --config, --now. nullptr after printing the error.
std::unique_ptr<WorkflowEnvironment> open_workflow_or_report(const std::string& command,
                                                             const Arguments& arguments);
// Settings and clock only (for read-only commands). nullopt after printing the error.
std::optional<std::pair<workflow::Settings, std::function<std::int64_t()>>>
settings_and_clock_or_report(const std::string& command, const Arguments& arguments);

// The exit code for a failed workflow call: refused, bad input or store error.
int exit_code_for(const Status& status);

}  // namespace kakitome::cli
