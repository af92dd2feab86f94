#include "events/base/hmac.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <new>

namespace kakitome {

std::string hmac_sha256(std::string_view key, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
              reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &length)) {
        throw std::bad_alloc();  // HMAC fails only when memory does
    }
    return std::string(reinterpret_cast<const char*>(out), length);
}

}  // namespace kakitome
