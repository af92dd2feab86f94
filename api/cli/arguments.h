// Command-line arguments of one kakitome subcommand: `--name value`, `--name=value`, boolean
// `--name`, and positionals. Unknown flags are reported, never ignored.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "events/base/status.h"

namespace kakitome::cli {

class Arguments {
  public:
    // value_flags take a value; switch_flags do not. Anything else starting with -- is an error.
    static Result<Arguments> parse(const std::vector<std::string>& words,
                                   const std::set<std::string>& value_flags,
                                   const std::set<std::string>& switch_flags);

    std::optional<std::string> value(const std::string& flag) const;
    std::string value_or(const std::string& flag, const std::string& fallback) const;
    // Every value of a flag given more than once, in order (value() is the last).
    std::vector<std::string> values(const std::string& flag) const;
    bool has(const std::string& flag) const { return values_.count(flag) > 0; }
    const std::vector<std::string>& positionals() const { return positionals_; }

  private:
    std::map<std::string, std::string> values_;
    std::map<std::string, std::vector<std::string>> every_value_;
    std::vector<std::string> positionals_;
};

// Exit codes shared by all subcommands (docs/cli.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitCheckFailed = 1;  // verify found tampering
inline constexpr int kExitBadInput = 2;     // usage error, unreadable or invalid input
inline constexpr int kExitWrongPassword = 3;
inline constexpr int kExitStoreError = 4;  // the data directory cannot be opened or written
inline constexpr int kExitRefused =
    5;  // a workflow command the application's state or version does not allow

inline const char* kDefaultDataDirectory = "var/kakitome";

}  // namespace kakitome::cli
