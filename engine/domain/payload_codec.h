// How a typed event payload becomes JSON and back: the one mapping between a payload struct and
// the bytes of an event.
//
// A payload struct names its event type and schema and lists its fields once:
//
//   struct UrlRevoked {
//       static constexpr std::string_view kType = "UrlRevoked";
//       static constexpr int kSchema = 1;
//       std::string token_sha256;
//       std::string reason;
//       static constexpr auto fields() {
//           return std::tuple{field("token_sha256", &UrlRevoked::token_sha256),
//                             field("reason", &UrlRevoked::reason)};
//       }
//   };
//
// Contract:
// - encode_payload() writes every field; an empty std::optional is left out.
// - decode_payload() never throws: a missing required field, a value of the wrong JSON type or
//   text that is not a JSON object is a Status (invalid_argument, reason "bad_payload") naming
//   the event type and the field. Unknown fields are ignored, so a reader built before a field
//   was added still reads the event. An absent or null std::optional field decodes as empty.
// - Field types: std::string, bool, integers, std::vector of those, std::optional of any of them,
//   and nested structs that have their own fields().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "events/base/status.h"

namespace kakitome::domain {

template <typename Struct, typename Member>
struct Field {
    std::string_view name;
    Member Struct::*member;
};

template <typename Struct, typename Member>
constexpr Field<Struct, Member> field(std::string_view name, Member Struct::*member) {
    return {name, member};
}

template <typename T>
concept HasFields = requires {
    T::fields();
};

template <typename T>
concept EventPayload = HasFields<T> && requires {
    { T::kType } -> std::convertible_to<std::string_view>;
    { T::kSchema } -> std::convertible_to<int>;
};

namespace payload_detail {

template <typename T>
struct IsOptional : std::false_type {};
template <typename T>
struct IsOptional<std::optional<T>> : std::true_type {};
template <typename T>
struct IsVector : std::false_type {};
template <typename T>
struct IsVector<std::vector<T>> : std::true_type {};

template <typename T>
nlohmann::json to_json_value(const T& value);

template <HasFields T>
nlohmann::json struct_to_json(const T& value) {
    nlohmann::json out = nlohmann::json::object();
    std::apply(
        [&](const auto&... fields) {
            (
                [&] {
                    const auto& member = value.*(fields.member);
                    using Member = std::remove_cvref_t<decltype(member)>;
                    if constexpr (IsOptional<Member>::value) {
                        if (member) out[std::string(fields.name)] = to_json_value(*member);
                    } else {
                        out[std::string(fields.name)] = to_json_value(member);
                    }
                }(),
                ...);
        },
        T::fields());
    return out;
}

template <typename T>
nlohmann::json to_json_value(const T& value) {
    if constexpr (HasFields<T>) {
        return struct_to_json(value);
    } else if constexpr (IsVector<T>::value) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& item : value) out.push_back(to_json_value(item));
        return out;
    } else {
        return nlohmann::json(value);
    }
}

// Reads `in` into `out`; on failure returns a message naming what was wrong.
template <typename T>
std::optional<std::string> from_json_value(const nlohmann::json& in, T& out);

template <HasFields T>
std::optional<std::string> struct_from_json(const nlohmann::json& in, T& out) {
    if (!in.is_object()) return std::string("is not a JSON object");
    std::optional<std::string> error;
    std::apply(
        [&](const auto&... fields) {
            (
                [&] {
                    if (error) return;
                    auto& member = out.*(fields.member);
                    using Member = std::remove_cvref_t<decltype(member)>;
                    const auto found = in.find(fields.name);
                    if constexpr (IsOptional<Member>::value) {
                        if (found == in.end() || found->is_null()) {
                            member.reset();
                            return;
                        }
                        typename Member::value_type value{};
                        if (auto bad = from_json_value(*found, value)) {
                            error = "field \"" + std::string(fields.name) + "\" " + *bad;
                            return;
                        }
                        member = std::move(value);
                    } else {
                        if (found == in.end()) {
                            error = "has no field \"" + std::string(fields.name) + "\"";
                            return;
                        }
                        if (auto bad = from_json_value(*found, member))
                            error = "field \"" + std::string(fields.name) + "\" " + *bad;
                    }
                }(),
                ...);
        },
        T::fields());
    return error;
}

template <typename T>
std::optional<std::string> from_json_value(const nlohmann::json& in, T& out) {
    if constexpr (HasFields<T>) {
        return struct_from_json(in, out);
    } else if constexpr (IsVector<T>::value) {
        if (!in.is_array()) return std::string("is not a list");
        out.clear();
        for (const auto& item : in) {
            typename T::value_type value{};
            if (auto bad = from_json_value(item, value)) return "has an item that " + *bad;
            out.push_back(std::move(value));
        }
        return std::nullopt;
    } else if constexpr (std::is_same_v<T, bool>) {
        if (!in.is_boolean()) return std::string("is not true or false");
        out = in.get<bool>();
        return std::nullopt;
    } else if constexpr (std::is_integral_v<T>) {
        if (!in.is_number_integer()) return std::string("is not an integer");
        if constexpr (std::is_unsigned_v<T>) {
            if (in.is_number_unsigned()) {
                out = static_cast<T>(in.get<std::uint64_t>());
                return std::nullopt;
            }
            if (in.get<std::int64_t>() < 0) return std::string("is negative");
        }
        out = static_cast<T>(in.get<std::int64_t>());
        return std::nullopt;
    } else if constexpr (std::is_same_v<T, std::string>) {
        if (!in.is_string()) return std::string("is not text");
        out = in.get<std::string>();
        return std::nullopt;
    } else {
        static_assert(std::is_same_v<T, nlohmann::json>, "unsupported payload field type");
        out = in;
        return std::nullopt;
    }
}

}  // namespace payload_detail

template <EventPayload Payload>
nlohmann::json payload_to_json(const Payload& payload) {
    return payload_detail::struct_to_json(payload);
}

// The payload as JSON text (not yet canonical: the store canonicalises on append).
template <EventPayload Payload>
std::string encode_payload(const Payload& payload) {
    return payload_to_json(payload).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

template <EventPayload Payload>
Result<Payload> payload_from_json(const nlohmann::json& in) {
    Payload payload{};
    if (auto bad = payload_detail::struct_from_json(in, payload)) {
        return Status::invalid_argument(std::string(Payload::kType) + " payload " + *bad)
            .with_reason("bad_payload");
    }
    return payload;
}

}  // namespace kakitome::domain
