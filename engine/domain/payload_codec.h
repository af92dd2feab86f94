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
// - payload_from_tokens() is the same reading over JsonTokens, without a document: it answers
//   true only with the payload payload_from_json() gives for the same text (the last of duplicate
//   keys wins, as in a document), and false for everything else, never a message: the caller then
//   reads the text the document way for the payload or the exact error.
// - Both read every field, or only the members named after the payload type
//   (payload_from_json<P, &P::a, &P::b>): those are read and checked as always, every other is
//   left as P{} has it and not looked at, so a reader that needs two fields of a large payload
//   (an index's keys) copies no more.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "events/base/json_tokens.h"
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

// Whether `field` names one of `Members`; every field does when none are named.
template <auto... Members, typename FieldOfStruct>
constexpr bool is_selected(const FieldOfStruct& field) {
    if constexpr (sizeof...(Members) == 0) {
        return true;
    } else {
        return ([&] {
            if constexpr (std::is_same_v<decltype(field.member), decltype(Members)>)
                return field.member == Members;
            else
                return false;
        }() || ...);
    }
}

// Whether `Member` is one of T's fields(): a member named for reading must be, or the read would
// silently read nothing.
template <HasFields T, auto Member>
constexpr bool is_a_field() {
    return std::apply([](const auto&... fields) { return (is_selected<Member>(fields) || ...); },
                      T::fields());
}

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

template <HasFields T, auto... Members>
std::optional<std::string> struct_from_json(const nlohmann::json& in, T& out) {
    if (!in.is_object()) return std::string("is not a JSON object");
    std::optional<std::string> error;
    std::apply(
        [&](const auto&... fields) {
            (
                [&] {
                    if (error || !is_selected<Members...>(fields)) return;
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

// The reading of payload_from_json over tokens: false wherever that reading would fail, and also
// wherever the two ways could read differently (a floating-point number for an integer, a field of
// type nlohmann::json), so the caller's document way decides those.
template <typename T>
bool from_token(const std::vector<JsonToken>& tokens, std::size_t index, T& out);

template <HasFields T, auto... Members>
bool struct_from_tokens(const std::vector<JsonToken>& tokens, std::size_t index, T& out) {
    using Kind = JsonToken::Kind;
    const JsonToken& object = tokens[index];
    if (object.kind != Kind::object) return false;
    constexpr std::size_t kFields = std::tuple_size_v<decltype(T::fields())>;
    // Each field's value, by token index; 0 (the root's index, never a value's) when absent. A
    // later duplicate key replaces an earlier one, as it does in a parsed document.
    std::array<std::size_t, kFields> value_of{};
    for (std::size_t key = index + 1; key < object.end;) {
        const std::size_t value = key + 1;
        std::apply(
            [&](const auto&... fields) {
                std::size_t field_index = 0;
                ((tokens[key].text == fields.name ? void(value_of[field_index] = value) : void(),
                  ++field_index),
                 ...);
            },
            T::fields());
        key = after_json_value(tokens, value);
    }
    bool read = true;
    std::apply(
        [&](const auto&... fields) {
            std::size_t field_index = 0;
            (
                [&] {
                    const std::size_t value = value_of[field_index++];
                    if (!read || !is_selected<Members...>(fields)) return;
                    auto& member = out.*(fields.member);
                    using Member = std::remove_cvref_t<decltype(member)>;
                    if constexpr (IsOptional<Member>::value) {
                        if (value == 0 || tokens[value].kind == Kind::null) {
                            member.reset();
                            return;
                        }
                        typename Member::value_type item{};
                        read = from_token(tokens, value, item);
                        if (read) member = std::move(item);
                    } else {
                        read = value != 0 && from_token(tokens, value, member);
                    }
                }(),
                ...);
        },
        T::fields());
    return read;
}

template <typename T>
bool from_token(const std::vector<JsonToken>& tokens, std::size_t index, T& out) {
    using Kind = JsonToken::Kind;
    const JsonToken& token = tokens[index];
    if constexpr (HasFields<T>) {
        return struct_from_tokens(tokens, index, out);
    } else if constexpr (IsVector<T>::value) {
        if (token.kind != Kind::array) return false;
        out.clear();
        for (std::size_t item = index + 1; item < token.end;
             item = after_json_value(tokens, item)) {
            typename T::value_type value{};
            if (!from_token(tokens, item, value)) return false;
            out.push_back(std::move(value));
        }
        return true;
    } else if constexpr (std::is_same_v<T, bool>) {
        if (token.kind != Kind::boolean) return false;
        out = token.boolean;
        return true;
    } else if constexpr (std::is_integral_v<T>) {
        // As the document way: an integer too large for int64 is unsigned, and a signed target
        // takes its bits; an unsigned target refuses a negative one.
        if (token.kind == Kind::unsigned_integer) {
            out = static_cast<T>(token.unsigned_integer);
            return true;
        }
        if (token.kind != Kind::signed_integer) return false;
        if constexpr (std::is_unsigned_v<T>) {
            if (token.signed_integer < 0) return false;
        }
        out = static_cast<T>(token.signed_integer);
        return true;
    } else if constexpr (std::is_same_v<T, std::string>) {
        if (token.kind != Kind::string) return false;
        out.assign(token.text);
        return true;
    } else {
        static_assert(std::is_same_v<T, nlohmann::json>, "unsupported payload field type");
        return false;
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

template <EventPayload Payload, auto... Members>
Result<Payload> payload_from_json(const nlohmann::json& in) {
    static_assert((payload_detail::is_a_field<Payload, Members>() && ...),
                  "a member named for reading is not one of the payload's fields()");
    Payload payload{};
    if (auto bad = payload_detail::struct_from_json<Payload, Members...>(in, payload)) {
        return Status::invalid_argument(std::string(Payload::kType) + " payload " + *bad)
            .with_reason("bad_payload");
    }
    return payload;
}

template <EventPayload Payload, auto... Members>
bool payload_from_tokens(const std::vector<JsonToken>& tokens, Payload& payload) {
    static_assert((payload_detail::is_a_field<Payload, Members>() && ...),
                  "a member named for reading is not one of the payload's fields()");
    return !tokens.empty() &&
           payload_detail::struct_from_tokens<Payload, Members...>(tokens, 0, payload);
}

}  // namespace kakitome::domain
