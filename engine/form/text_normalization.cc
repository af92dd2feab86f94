#include "engine/form/text_normalization.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

namespace kakitome::form {

namespace {

icu::UnicodeString normalized(const icu::Normalizer2* normalizer, std::string_view text) {
    const icu::UnicodeString input = icu::UnicodeString::fromUTF8(
        icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
    UErrorCode error = U_ZERO_ERROR;
    icu::UnicodeString output = normalizer ? normalizer->normalize(input, error) : input;
    return U_SUCCESS(error) ? output : input;
}

std::string to_utf8(const icu::UnicodeString& text) {
    std::string out;
    text.toUTF8String(out);
    return out;
}

}  // namespace

namespace {

icu::UnicodeString compact_key(std::string_view text, bool fold_kana) {
    UErrorCode error = U_ZERO_ERROR;
    const icu::UnicodeString folded =
        normalized(icu::Normalizer2::getNFKCCasefoldInstance(error), text);
    icu::UnicodeString compact;
    for (int32_t i = 0; i < folded.length();) {
        UChar32 c = folded.char32At(i);
        i += U16_LENGTH(c);
        if (u_hasBinaryProperty(c, UCHAR_WHITE_SPACE)) continue;
        // Katakana ァ (U+30A1) … ヶ (U+30F6) sit 0x60 above their hiragana; ヽヾ too.
        if (fold_kana && ((c >= 0x30A1 && c <= 0x30F6) || c == 0x30FD || c == 0x30FE)) c -= 0x60;
        compact.append(c);
    }
    return compact;
}

}  // namespace

std::string matching_key(std::string_view text) {
    return to_utf8(compact_key(text, false));
}

std::string search_key(std::string_view text) {
    return to_utf8(compact_key(text, true));
}

std::string trim(std::string_view text) {
    icu::UnicodeString value = icu::UnicodeString::fromUTF8(
        icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
    int32_t start = 0, end = value.length();
    while (start < end && u_hasBinaryProperty(value.char32At(start), UCHAR_WHITE_SPACE))
        start += U16_LENGTH(value.char32At(start));
    while (end > start) {
        const int32_t last = value.moveIndex32(end, -1);
        if (!u_hasBinaryProperty(value.char32At(last), UCHAR_WHITE_SPACE)) break;
        end = last;
    }
    return to_utf8(value.tempSubStringBetween(start, end));
}

}  // namespace kakitome::form
