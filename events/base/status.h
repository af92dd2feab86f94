// Status and Result<T>: how errors cross module boundaries in kakitome.
// A Status is a code plus a human-readable message; it never throws. Result<T> holds either a
// value or a non-ok Status. Both are cheap to move and [[nodiscard]] so errors cannot be dropped.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace kakitome {

enum class StatusCode {
    ok,
    invalid_argument,  // the caller's input is wrong; retrying the same call fails again
    conflict,          // optimistic concurrency: the stream is not at the expected version
    not_found,
    failed_precondition,  // the target is not in a state that allows the operation (e.g. a workflow
                          // step)
    corruption,           // stored bytes do not match what was written (tampering, disk damage)
    io_error,
    permission_denied,
    resource_exhausted,  // a size or count limit was hit
    unavailable,         // shutting down, cancelled, or temporarily unable to serve
    internal,
};

const char* status_code_name(StatusCode code);

class [[nodiscard]] Status {
  public:
    Status() = default;
    Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

    static Status ok() { return {}; }
    static Status invalid_argument(std::string m) {
        return {StatusCode::invalid_argument, std::move(m)};
    }
    static Status conflict(std::string m) { return {StatusCode::conflict, std::move(m)}; }
    static Status not_found(std::string m) { return {StatusCode::not_found, std::move(m)}; }
    static Status failed_precondition(std::string m) {
        return {StatusCode::failed_precondition, std::move(m)};
    }
    static Status corruption(std::string m) { return {StatusCode::corruption, std::move(m)}; }
    static Status io_error(std::string m) { return {StatusCode::io_error, std::move(m)}; }
    static Status permission_denied(std::string m) {
        return {StatusCode::permission_denied, std::move(m)};
    }
    static Status resource_exhausted(std::string m) {
        return {StatusCode::resource_exhausted, std::move(m)};
    }
    static Status unavailable(std::string m) { return {StatusCode::unavailable, std::move(m)}; }
    static Status internal(std::string m) { return {StatusCode::internal, std::move(m)}; }

    // A stable snake_case name for the specific failure ("wrong_password", "zip_bomb"), for
    // events, exit codes and API problem types. The code stays the broad class.
    Status with_reason(std::string reason) && {
        reason_ = std::move(reason);
        return std::move(*this);
    }

    bool is_ok() const { return code_ == StatusCode::ok; }
    StatusCode code() const { return code_; }
    const std::string& message() const { return message_; }
    const std::string& reason() const { return reason_; }
    // "conflict: expected version 3 but stream is at 5", or "corruption (tampered_package): ..."
    std::string to_string() const;

  private:
    StatusCode code_ = StatusCode::ok;
    std::string message_;
    std::string reason_;
};

template <typename T>
class [[nodiscard]] Result {
  public:
    Result(T value)
        : state_(std::in_place_index<1>, std::move(value)) {}  // NOLINT: implicit by design
    Result(Status status) : state_(std::in_place_index<0>, std::move(status)) {  // NOLINT
        assert(!std::get<0>(state_).is_ok() && "a Result built from a Status must carry an error");
    }

    bool is_ok() const { return state_.index() == 1; }
    const Status& status() const {
        static const Status ok_status;
        return is_ok() ? ok_status : std::get<0>(state_);
    }
    T& value() & { return std::get<1>(state_); }
    const T& value() const& { return std::get<1>(state_); }
    T&& value() && { return std::get<1>(std::move(state_)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

  private:
    std::variant<Status, T> state_;
};

}  // namespace kakitome

// Propagate a non-ok Status from an expression returning Status.
#define KAKITOME_RETURN_IF_ERROR(expression)       \
    do {                                           \
        ::kakitome::Status status_ = (expression); \
        if (!status_.is_ok()) return status_;      \
    } while (false)
