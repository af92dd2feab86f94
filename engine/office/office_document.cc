#include "engine/office/office_document.h"

#include "engine/office/agile_encryption.h"
#include "engine/office/compound_file.h"
#include "engine/office/compound_file_writer.h"
#include "engine/office/office_crypto.h"
#include "engine/office/standard_encryption.h"

namespace kakitome::office {

namespace {

struct OpenedDocument {
    EncryptionMethod method = EncryptionMethod::agile;
    AgileEncryptionInfo agile;
    StandardEncryptionInfo standard;
    std::string encrypted_package;
};

Result<OpenedDocument> open_document(std::string_view file, const DecryptionLimits& limits) {
    if (!CompoundFile::has_signature(file)) {
        const bool zip = file.size() >= 4 && file.substr(0, 4) == std::string_view("PK\x03\x04", 4);
        return Status::invalid_argument(
                   zip ? "the file is not password-protected (a plain zip/xlsx)"
                       : "the file is not an encrypted Office document")
            .with_reason("not_encrypted_office_file");
    }
    auto container = CompoundFile::parse(file);
    if (!container.is_ok()) return container.status();
    auto info = container->read_root_stream("EncryptionInfo");
    if (!info.is_ok()) {
        return Status::invalid_argument(
                   "the compound file has no EncryptionInfo (a legacy .xls or .doc?)")
            .with_reason("not_encrypted_office_file");
    }
    auto package = container->read_root_stream("EncryptedPackage");
    if (!package.is_ok())
        return Status::invalid_argument("EncryptedPackage stream missing")
            .with_reason("bad_container");

    OpenedDocument opened;
    opened.encrypted_package = std::move(package).value();
    if (opened.encrypted_package.size() < 8)
        return Status::invalid_argument("EncryptedPackage too short").with_reason("bad_container");
    const std::uint64_t declared = read_le64(opened.encrypted_package);
    if (declared > limits.max_package_bytes) {
        return Status::resource_exhausted("the decrypted form would be " +
                                          std::to_string(declared) + " bytes; the limit is " +
                                          std::to_string(limits.max_package_bytes))
            .with_reason("form_too_large");
    }
    const std::uint64_t stored = opened.encrypted_package.size() - 8;
    // Encrypted data is the plaintext padded to whole blocks (at most one segment of slack).
    if (stored < declared || stored - declared >= 4096 + 16) {
        return Status::invalid_argument("EncryptedPackage declares " + std::to_string(declared) +
                                        " bytes but holds " + std::to_string(stored))
            .with_reason("bad_container");
    }

    const auto major = static_cast<unsigned char>((*info)[0]);
    const auto minor = static_cast<unsigned char>((*info)[2]);
    if (info->size() >= 4 && major == 4 && minor == 4) {
        auto agile = parse_agile_encryption_info(info.value(), limits.max_spin_count);
        if (!agile.is_ok()) return agile.status();
        opened.agile = std::move(agile).value();
        opened.method = EncryptionMethod::agile;
    } else if (info->size() >= 4 && (major >= 2 && major <= 4) && minor == 2) {
        auto standard = parse_standard_encryption_info(info.value());
        if (!standard.is_ok()) return standard.status();
        opened.standard = std::move(standard).value();
        opened.method = EncryptionMethod::standard;
    } else {
        return Status::invalid_argument("EncryptionInfo version " + std::to_string(major) + "." +
                                        std::to_string(minor) + " is not supported")
            .with_reason("unsupported_encryption");
    }
    return opened;
}

Result<std::string> package_key(const OpenedDocument& opened, std::string_view password) {
    auto utf16 = utf8_to_utf16le(password);
    if (!utf16.is_ok()) return utf16.status();
    return opened.method == EncryptionMethod::agile
               ? agile_package_key(opened.agile, utf16.value())
               : standard_package_key(opened.standard, utf16.value());
}

}  // namespace

const char* encryption_method_name(EncryptionMethod method) {
    return method == EncryptionMethod::agile ? "agile" : "standard";
}

Result<DecryptedDocument> decrypt_document(std::string_view file, std::string_view password,
                                           const DecryptionLimits& limits) {
    auto opened = open_document(file, limits);
    if (!opened.is_ok()) return opened.status();
    auto key = package_key(opened.value(), password);
    if (!key.is_ok()) return key.status();
    DecryptedDocument document;
    document.method = opened->method;
    Result<std::string> package =
        opened->method == EncryptionMethod::agile
            ? agile_decrypt_package(opened->agile, key.value(), opened->encrypted_package)
            : standard_decrypt_package(key.value(), opened->encrypted_package);
    if (!package.is_ok()) return package.status();
    document.package = std::move(package).value();
    document.integrity_checked =
        opened->method == EncryptionMethod::agile && !opened->agile.encrypted_hmac_key.empty();
    return document;
}

Status check_encryption_cost(std::string_view file, const DecryptionLimits& limits) {
    auto opened = open_document(file, limits);
    return opened.is_ok() ? Status::ok() : opened.status();
}

Status check_password(std::string_view file, std::string_view password,
                      const DecryptionLimits& limits) {
    auto opened = open_document(file, limits);
    if (!opened.is_ok()) return opened.status();
    auto key = package_key(opened.value(), password);
    return key.is_ok() ? Status::ok() : key.status();
}

Result<std::string> encrypt_document(std::string_view package, std::string_view password,
                                     EncryptionMethod method, std::uint32_t spin_count) {
    auto utf16 = utf8_to_utf16le(password);
    if (!utf16.is_ok()) return utf16.status();
    auto streams = method == EncryptionMethod::agile
                       ? agile_encrypt(package, utf16.value(), spin_count)
                       : standard_encrypt(package, utf16.value());
    if (!streams.is_ok()) return streams.status();
    return write_compound_file({{"EncryptionInfo", std::move(streams->encryption_info)},
                                {"EncryptedPackage", std::move(streams->encrypted_package)}});
}

}  // namespace kakitome::office
