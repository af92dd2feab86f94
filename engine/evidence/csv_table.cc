#include "engine/evidence/csv_table.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <optional>

#include <csv.h>
#include <unicode/ucnv.h>
#include <unicode/unistr.h>

namespace kakitome::evidence {

namespace {

constexpr std::uintmax_t kMaxBytes = 256ull * 1024 * 1024;

Status bad_csv(const std::string& what) {
    return Status::invalid_argument(what).with_reason("bad_csv");
}

// Decodes `bytes` from `charset` to UTF-8, refusing (nullopt) any byte sequence the charset
// does not define instead of substituting U+FFFD. `bad_offset` is where decoding stopped.
std::optional<std::string> to_utf8(const std::string& bytes, const char* charset,
                                   std::size_t& bad_offset) {
    UErrorCode error = U_ZERO_ERROR;
    UConverter* converter = ucnv_open(charset, &error);
    if (U_FAILURE(error)) return std::nullopt;
    ucnv_setToUCallBack(converter, UCNV_TO_U_CALLBACK_STOP, nullptr, nullptr, nullptr, &error);
    std::u16string unicode(bytes.size() + 1, u'\0');
    const char* source = bytes.data();
    UChar* target = reinterpret_cast<UChar*>(unicode.data());
    ucnv_toUnicode(converter, &target, target + unicode.size(), &source,
                   bytes.data() + bytes.size(), nullptr, true, &error);
    ucnv_close(converter);
    if (U_FAILURE(error)) {
        bad_offset = static_cast<std::size_t>(source - bytes.data());
        return std::nullopt;
    }
    unicode.resize(static_cast<std::size_t>(target - reinterpret_cast<UChar*>(unicode.data())));
    std::string out;
    icu::UnicodeString(false, reinterpret_cast<const UChar*>(unicode.data()),
                       static_cast<int32_t>(unicode.size()))
        .toUTF8String(out);
    return out;
}

std::uint64_t line_at(const std::string& bytes, std::size_t offset) {
    return 1 +
           static_cast<std::uint64_t>(std::count(
               bytes.begin(),
               bytes.begin() + static_cast<std::ptrdiff_t>(std::min(offset, bytes.size())), '\n'));
}

// A row starts on the line after the one its predecessor ended on (libcsv reports a field when
// it ends, which for a quoted field with line breaks is lines later).
struct Collector {
    CsvTable* table;
    std::vector<std::string> row;
    std::uint64_t line = 1;            // the line being fed
    std::uint64_t row_start_line = 1;  // where the row being read began
};

void on_field(void* data, std::size_t size, void* collector_pointer) {
    auto& collector = *static_cast<Collector*>(collector_pointer);
    collector.row.emplace_back(static_cast<const char*>(data), size);
}

void on_row_end(int, void* collector_pointer) {
    auto& collector = *static_cast<Collector*>(collector_pointer);
    const bool blank = collector.row.size() == 1 && collector.row[0].empty();
    if (!collector.row.empty() && !blank) {
        if (collector.table->header.empty())
            collector.table->header = std::move(collector.row);
        else
            collector.table->rows.push_back({collector.row_start_line, std::move(collector.row)});
    }
    collector.row.clear();
    collector.row_start_line = collector.line + 1;
}

}  // namespace

Result<CsvTable> read_csv_table(const std::filesystem::path& path, const std::string& encoding) {
    std::error_code size_error;
    const auto size = std::filesystem::file_size(path, size_error);
    if (size_error)
        return Status::not_found("cannot read " + path.string()).with_reason("unreadable_file");
    if (size > kMaxBytes)
        return bad_csv(path.string() + " is larger than 256 MiB; split the export");
    std::ifstream in(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.rfind("\xEF\xBB\xBF", 0) == 0) bytes.erase(0, 3);

    CsvTable table;
    std::optional<std::string> text;
    std::size_t bad_offset = 0;
    if (encoding == "utf-8" || encoding == "auto") {
        text = to_utf8(bytes, "UTF-8", bad_offset);
        table.encoding = "utf-8";
    }
    if (!text && encoding != "utf-8") {
        text = to_utf8(bytes, "windows-31j", bad_offset);
        table.encoding = "cp932";
    }
    if (!text)
        return bad_csv("line " + std::to_string(line_at(bytes, bad_offset)) + " is not " +
                       (encoding == "auto" ? std::string("UTF-8 or CP932") : encoding));

    csv_parser parser;
    csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI);
    Collector collector{&table, {}, 1, 1};
    std::size_t start = 0;
    Status failure;
    while (start < text->size()) {
        const auto newline = text->find('\n', start);
        const std::size_t end = newline == std::string::npos ? text->size() : newline + 1;
        if (csv_parse(&parser, text->data() + start, end - start, on_field, on_row_end,
                      &collector) != end - start) {
            failure = bad_csv("line " + std::to_string(collector.line) + ": " +
                              csv_strerror(csv_error(&parser)));
            break;
        }
        // A line with nothing on it ends no row in libcsv: the next row starts after it.
        if (end - start <= 2 && text->find_first_not_of("\r\n", start) >= end &&
            collector.row.empty() && collector.row_start_line == collector.line)
            ++collector.row_start_line;
        ++collector.line;
        start = end;
    }
    if (failure.is_ok() && csv_fini(&parser, on_field, on_row_end, &collector) != 0)
        failure = bad_csv("line " + std::to_string(collector.row_start_line) +
                          ": a quoted field is never closed");
    csv_free(&parser);
    if (!failure.is_ok()) return failure;
    if (table.header.empty()) return bad_csv(path.string() + " has no header row");
    return table;
}

}  // namespace kakitome::evidence
