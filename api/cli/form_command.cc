// kakitome form [--password P | --password-file F] [--check] FILE.xlsx
// Prints the parsed application form as JSON: the fields plus {"valid", "reasons"}. An encrypted
// file needs the password. Exit 0 when read (with --check: 0 valid, 1 invalid), 2 unreadable,
// 3 wrong password.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "api/cli/arguments.h"
#include "api/cli/commands.h"
#include "api/cli/file_io.h"
#include "api/cli/password_argument.h"
#include "engine/form/application_form.h"
#include "engine/form/form_validation.h"
#include "engine/office/compound_file.h"
#include "engine/office/office_document.h"

namespace kakitome::cli {

int run_form(const Words& words) {
    auto arguments = Arguments::parse(words, {"password", "password-file"}, {"check"});
    if (!arguments.is_ok() || arguments->positionals().size() != 1) {
        std::fprintf(
            stderr,
            "usage: kakitome form [--password P | --password-file F] [--check] FILE.xlsx\n");
        return kExitBadInput;
    }
    const std::string& path = arguments->positionals()[0];
    auto bytes = read_whole_file(path, 64u << 20);
    if (!bytes.is_ok()) {
        std::fprintf(stderr, "kakitome form: %s\n", bytes.status().to_string().c_str());
        return kExitBadInput;
    }
    std::string package = std::move(bytes).value();
    if (office::CompoundFile::has_signature(package)) {
        const std::optional<std::string> password = password_from(arguments.value());
        if (!password) {
            std::fprintf(stderr, "kakitome form: %s is encrypted; give --password\n", path.c_str());
            return kExitBadInput;
        }
        auto document = office::decrypt_document(package, *password);
        if (!document.is_ok()) {
            std::fprintf(stderr, "kakitome form: %s\n", document.status().to_string().c_str());
            return document.status().reason() == "wrong_password" ? kExitWrongPassword
                                                                  : kExitBadInput;
        }
        package = std::move(document->package);
    }
    auto form = form::read_application_form(package);
    if (!form.is_ok()) {
        std::fprintf(stderr, "kakitome form: %s\n", form.status().to_string().c_str());
        return kExitBadInput;
    }
    const auto reasons = form::validate_application_form(form.value());
    nlohmann::json out = nlohmann::json::parse(form->to_json());
    out["valid"] = reasons.empty();
    out["reasons"] = reasons;
    std::printf("%s\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    if (arguments->has("check") && !reasons.empty()) return kExitCheckFailed;
    return kExitOk;
}

}  // namespace kakitome::cli
