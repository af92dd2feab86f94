#include "api/cli/workflow_access.h"

#include <cstdio>

#include "events/timestamp.h"

namespace kakitome::cli {

std::optional<std::pair<workflow::Settings, std::function<std::int64_t()>>>
settings_and_clock_or_report(const std::string& command, const Arguments& arguments) {
    auto settings = workflow::load_settings(arguments.value_or("config", ""));
    if (!settings.is_ok()) {
        std::fprintf(stderr, "kakitome %s: %s\n", command.c_str(),
                     settings.status().to_string().c_str());
        return std::nullopt;
    }
    std::function<std::int64_t()> clock = system_clock_ms;
    if (auto now = arguments.value("now")) {
        auto fixed = parse_rfc3339_ms(*now);
        if (!fixed) {
            std::fprintf(
                stderr,
                "kakitome %s: --now wants an RFC 3339 time such as 2026-11-24T09:00:00+09:00\n",
                command.c_str());
            return std::nullopt;
        }
        clock = [at = *fixed] { return at; };
    }
    return std::make_pair(std::move(settings).value(), std::move(clock));
}

std::unique_ptr<WorkflowEnvironment> open_workflow_or_report(const std::string& command,
                                                             const Arguments& arguments) {
    auto settings = settings_and_clock_or_report(command, arguments);
    if (!settings) return nullptr;
    auto environment =
        open_environment_or_report(command, arguments.value_or("data", kDefaultDataDirectory),
                                   arguments.value_or("master-key", ""));
    if (!environment) return nullptr;
    auto out = std::make_unique<WorkflowEnvironment>();
    out->environment = std::move(environment);
    out->settings = std::move(settings->first);
    out->clock_ms = std::move(settings->second);
    return out;
}

int exit_code_for(const Status& status) {
    switch (status.code()) {
        case StatusCode::failed_precondition:
        case StatusCode::conflict:
            return kExitRefused;
        case StatusCode::invalid_argument:
        case StatusCode::not_found:
            return kExitBadInput;
        default:
            return kExitStoreError;
    }
}

}  // namespace kakitome::cli
