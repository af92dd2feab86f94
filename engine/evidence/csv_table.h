// A CSV export as Excel and other systems write it (RFC 4180: quoted fields may hold commas,
// quotes and line breaks), in UTF-8 or in CP932 (Windows-31J, Excel's "CSV" on Japanese
// Windows), read into rows of UTF-8 cells, each with the line it starts on. Parsing is libcsv's.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "events/base/status.h"

namespace kakitome::evidence {

struct CsvRow {
    std::uint64_t line = 0;
    std::vector<std::string> cells;
};

struct CsvTable {
    std::string encoding;  // utf-8 | cp932: what the bytes were read as
    std::vector<std::string> header;
    std::vector<CsvRow> rows;
};

// encoding: utf-8, cp932, or auto (UTF-8 when the bytes are valid UTF-8, else CP932). Bytes that
// are neither, a quote left open, or a file over 256 MiB are invalid_argument (reason bad_csv)
// naming the line.
Result<CsvTable> read_csv_table(const std::filesystem::path& path, const std::string& encoding);

}  // namespace kakitome::evidence
