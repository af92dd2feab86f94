#include "events/base/status.h"

namespace kakitome {

const char* status_code_name(StatusCode code) {
    switch (code) {
        case StatusCode::ok:
            return "ok";
        case StatusCode::invalid_argument:
            return "invalid_argument";
        case StatusCode::conflict:
            return "conflict";
        case StatusCode::not_found:
            return "not_found";
        case StatusCode::failed_precondition:
            return "failed_precondition";
        case StatusCode::corruption:
            return "corruption";
        case StatusCode::io_error:
            return "io_error";
        case StatusCode::permission_denied:
            return "permission_denied";
        case StatusCode::resource_exhausted:
            return "resource_exhausted";
        case StatusCode::unavailable:
            return "unavailable";
        case StatusCode::internal:
            return "internal";
    }
    return "unknown";
}

std::string Status::to_string() const {
    if (is_ok()) return "ok";
    std::string text = status_code_name(code_);
    if (!reason_.empty()) text += " (" + reason_ + ")";
    return text + ": " + message_;
}

}  // namespace kakitome
