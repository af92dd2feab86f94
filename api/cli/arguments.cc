#include "api/cli/arguments.h"

namespace kakitome::cli {

Result<Arguments> Arguments::parse(const std::vector<std::string>& words,
                                   const std::set<std::string>& value_flags,
                                   const std::set<std::string>& switch_flags) {
    Arguments arguments;
    for (std::size_t i = 0; i < words.size(); ++i) {
        const std::string& word = words[i];
        if (word == "--") {
            arguments.positionals_.insert(arguments.positionals_.end(), words.begin() + i + 1,
                                          words.end());
            break;
        }
        if (word.rfind("--", 0) != 0 || word.size() == 2) {
            arguments.positionals_.push_back(word);
            continue;
        }
        std::string name = word.substr(2);
        std::optional<std::string> inline_value;
        if (auto equals = name.find('='); equals != std::string::npos) {
            inline_value = name.substr(equals + 1);
            name.resize(equals);
        }
        if (switch_flags.count(name)) {
            if (inline_value) return Status::invalid_argument("--" + name + " takes no value");
            arguments.values_[name] = "true";
        } else if (value_flags.count(name)) {
            if (inline_value) {
                arguments.values_[name] = *inline_value;
            } else if (i + 1 < words.size()) {
                arguments.values_[name] = words[++i];
            } else {
                return Status::invalid_argument("--" + name + " needs a value");
            }
            arguments.every_value_[name].push_back(arguments.values_[name]);
        } else {
            return Status::invalid_argument("unknown option --" + name);
        }
    }
    return arguments;
}

std::optional<std::string> Arguments::value(const std::string& flag) const {
    auto found = values_.find(flag);
    if (found == values_.end()) return std::nullopt;
    return found->second;
}

std::vector<std::string> Arguments::values(const std::string& flag) const {
    auto found = every_value_.find(flag);
    if (found == every_value_.end()) return {};
    return found->second;
}

std::string Arguments::value_or(const std::string& flag, const std::string& fallback) const {
    return value(flag).value_or(fallback);
}

}  // namespace kakitome::cli
