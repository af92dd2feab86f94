// kakitome decrypt --password P IN.xlsx OUT.xlsx   exit 0 ok, 2 bad or tampered file, 3 wrong
// password kakitome encrypt --password P [--standard] [--spin-count N] IN.xlsx OUT.xlsx
// --password-file F reads the password from the first line of F instead (keeps it out of `ps`).
#include <cstdio>

#include "api/cli/arguments.h"
#include "api/cli/commands.h"
#include "api/cli/file_io.h"
#include "api/cli/password_argument.h"
#include "engine/office/office_document.h"

namespace kakitome::cli {

namespace {

int report(const char* command, const Status& status) {
    std::fprintf(stderr, "kakitome %s: %s\n", command, status.to_string().c_str());
    if (status.reason() == "wrong_password") return kExitWrongPassword;
    if (status.code() == StatusCode::io_error) return kExitStoreError;
    return kExitBadInput;
}

}  // namespace

int run_decrypt(const Words& words) {
    auto arguments = Arguments::parse(words, {"password", "password-file"}, {});
    const auto password = arguments.is_ok() ? password_from(arguments.value()) : std::nullopt;
    if (!arguments.is_ok() || !password || arguments->positionals().size() != 2) {
        std::fprintf(
            stderr,
            "usage: kakitome decrypt (--password P | --password-file F) IN.xlsx OUT.xlsx\n");
        return kExitBadInput;
    }
    auto input = read_whole_file(arguments->positionals()[0], 64u << 20);
    if (!input.is_ok()) return report("decrypt", input.status());
    auto document = office::decrypt_document(input.value(), *password);
    if (!document.is_ok()) return report("decrypt", document.status());
    auto written = write_whole_file(arguments->positionals()[1], document->package);
    if (!written.is_ok()) return report("decrypt", written);
    std::fprintf(
        stderr, "decrypted %s (%s encryption, integrity %s), %zu bytes\n",
        arguments->positionals()[0].c_str(), office::encryption_method_name(document->method),
        document->integrity_checked ? "verified" : "not available", document->package.size());
    return kExitOk;
}

int run_encrypt(const Words& words) {
    auto arguments =
        Arguments::parse(words, {"password", "password-file", "spin-count"}, {"standard"});
    const auto password = arguments.is_ok() ? password_from(arguments.value()) : std::nullopt;
    std::uint32_t spin_count = 100000;
    bool valid = arguments.is_ok() && password && arguments->positionals().size() == 2;
    if (valid && arguments->has("spin-count")) {
        try {
            spin_count = static_cast<std::uint32_t>(std::stoul(*arguments->value("spin-count")));
        } catch (const std::exception&) {
            valid = false;
        }
    }
    if (!valid) {
        std::fprintf(stderr,
                     "usage: kakitome encrypt (--password P | --password-file F) [--standard] "
                     "[--spin-count N] "
                     "IN.xlsx OUT.xlsx\n");
        return kExitBadInput;
    }
    auto input = read_whole_file(arguments->positionals()[0], 20u << 20);
    if (!input.is_ok()) return report("encrypt", input.status());
    const auto method = arguments->has("standard") ? office::EncryptionMethod::standard
                                                   : office::EncryptionMethod::agile;
    auto encrypted = office::encrypt_document(input.value(), *password, method, spin_count);
    if (!encrypted.is_ok()) return report("encrypt", encrypted.status());
    auto written = write_whole_file(arguments->positionals()[1], encrypted.value());
    if (!written.is_ok()) return report("encrypt", written);
    return kExitOk;
}

}  // namespace kakitome::cli
