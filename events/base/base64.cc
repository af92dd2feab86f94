#include "events/base/base64.h"

#include <openssl/evp.h>

namespace kakitome {

namespace {

const unsigned char* bytes_of(std::string_view text) {
    return reinterpret_cast<const unsigned char*>(text.data());
}

}  // namespace

Result<std::string> base64_decode(std::string_view text) {
    std::string compact;
    for (char c : text) {
        if (c != ' ' && c != '\n' && c != '\r' && c != '\t') compact.push_back(c);
    }
    if (compact.size() % 4 != 0)
        return Status::invalid_argument("base64 length is not a multiple of 4");
    std::string out(compact.size() / 4 * 3, '\0');
    const int decoded = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                        bytes_of(compact), static_cast<int>(compact.size()));
    if (decoded < 0) return Status::invalid_argument("invalid base64");
    // EVP_DecodeBlock counts padding as zero bytes; drop them.
    std::size_t padding = 0;
    if (!compact.empty() && compact.back() == '=') ++padding;
    if (compact.size() > 1 && compact[compact.size() - 2] == '=') ++padding;
    out.resize(static_cast<std::size_t>(decoded) - padding);
    return out;
}

std::string base64_encode(std::string_view bytes) {
    std::string out((bytes.size() + 2) / 3 * 4 + 1, '\0');
    const int size = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes_of(bytes),
                                     static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(size));
    return out;
}

}  // namespace kakitome
