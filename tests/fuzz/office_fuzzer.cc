// libFuzzer target: arbitrary bytes as an encrypted attachment (MS-CFB reader, agile/standard
// EncryptionInfo parsing) and as a decrypted package (zip limits, worksheet XML, form reading).
#include <string_view>

#include "engine/form/application_form.h"
#include "engine/office/office_document.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    // A low spin limit keeps each run fast; parsing is what is being fuzzed.
    (void)kakitome::office::decrypt_document(bytes, "password", {.max_spin_count = 16});
    (void)kakitome::form::read_application_form(bytes);
    return 0;
}
