// Application dates as applicants write them: 令和 era dates ("令和7年6月10日", "令和元年",
// "R7.6.10"), 平成 dates, Western dates ("2025/6/10", "2025年6月10日", "2025-06-10"), with
// full-width digits, and Excel date serials. Results are ISO 8601 dates ("2025-06-10").
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kakitome::form {

std::optional<std::string> parse_japanese_date(std::string_view text);
// Excel's 1900 date system (with its phantom 1900-02-29): serial 45818 -> "2025-06-10".
std::optional<std::string> excel_serial_to_date(double serial);
bool is_valid_calendar_date(int year, int month, int day);

}  // namespace kakitome::form
