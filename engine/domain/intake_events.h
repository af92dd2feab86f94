// The events intake writes outside an application's stream: one per mail in its message stream
// (message-<hash>), the sender's waiting forms and held passwords in the sender stream
// (sender-<hash>), and the duplicate key of a validated form (duplicate-<hash>). streams.h
// names the streams; docs/intake.md tells when each event is written.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "engine/domain/payload_codec.h"

namespace kakitome::domain {

// A mail that became part of an application (form or password).
struct MessageIngested {
    static constexpr std::string_view kType = "MessageIngested";
    static constexpr int kSchema = 1;
    std::string classification;  // form | password
    std::optional<std::string> application;
    std::optional<bool> matched;  // password mails: did it open a waiting form
    std::string raw_sha256;
    std::string raw_blob;
    std::uint64_t size = 0;
    std::string source;
    static constexpr auto fields() {
        using E = MessageIngested;
        return std::tuple{field("classification", &E::classification),
                          field("application", &E::application),
                          field("matched", &E::matched),
                          field("raw_sha256", &E::raw_sha256),
                          field("raw_blob", &E::raw_blob),
                          field("size", &E::size),
                          field("source", &E::source)};
    }
};

// A mail refused before it reached an application; raw_blob is absent when it was not kept.
// `answer`: "queued" when an automatic answer follows in the same stream (MailQueued), or why
// none is sent (intake/refusal_answer.h); absent in mails refused before answers existed.
struct MailRejected {
    static constexpr std::string_view kType = "MailRejected";
    static constexpr int kSchema = 1;
    std::string reason;
    std::string detail;
    std::string raw_sha256;
    std::optional<std::string> raw_blob;
    std::uint64_t size = 0;
    std::string source;
    std::optional<std::string> answer;
    static constexpr auto fields() {
        using E = MailRejected;
        return std::tuple{field("reason", &E::reason),
                          field("detail", &E::detail),
                          field("raw_sha256", &E::raw_sha256),
                          field("raw_blob", &E::raw_blob),
                          field("size", &E::size),
                          field("source", &E::source),
                          field("answer", &E::answer)};
    }
};

// A mail with another subject: kept, not processed.
struct UnrelatedMailReceived {
    static constexpr std::string_view kType = "UnrelatedMailReceived";
    static constexpr int kSchema = 1;
    std::string raw_sha256;
    std::string raw_blob;
    std::uint64_t size = 0;
    std::string date;
    std::string source;
    static constexpr auto fields() {
        using E = UnrelatedMailReceived;
        return std::tuple{field("raw_sha256", &E::raw_sha256), field("raw_blob", &E::raw_blob),
                          field("size", &E::size), field("date", &E::date),
                          field("source", &E::source)};
    }
};

// The retention policy (engine/retention/) erased a mail that reached no application (refused,
// or of another subject): its raw mail is deleted and the key that sealed the answer to its
// sender destroyed. What the refusal itself recorded in the clear (reason, detail, size) stays;
// intake keeps personal data out of it. `policy`, `rule` and `due` as in RetentionErased.
struct MessageRetentionErased {
    static constexpr std::string_view kType = "MessageRetentionErased";
    static constexpr int kSchema = 1;
    std::string policy;
    std::string rule;
    std::string due;
    static constexpr auto fields() {
        using E = MessageRetentionErased;
        return std::tuple{field("policy", &E::policy), field("rule", &E::rule),
                          field("due", &E::due)};
    }
};

// A second, different mail under a Message-ID already taken.
struct MessageIdReused {
    static constexpr std::string_view kType = "MessageIdReused";
    static constexpr int kSchema = 1;
    std::string raw_sha256;
    std::uint64_t size = 0;
    std::string source;
    static constexpr auto fields() {
        using E = MessageIdReused;
        return std::tuple{field("raw_sha256", &E::raw_sha256), field("size", &E::size),
                          field("source", &E::source)};
    }
};

// Sender stream: a form waiting for its password. password_tries counts key derivations spent.
struct FormPending {
    static constexpr std::string_view kType = "FormPending";
    static constexpr int kSchema = 1;
    std::string application;
    std::string message_id;
    std::string attachment_blob;
    std::optional<std::uint64_t> password_tries;
    static constexpr auto fields() {
        using E = FormPending;
        return std::tuple{field("application", &E::application),
                          field("message_id", &E::message_id),
                          field("attachment_blob", &E::attachment_blob),
                          field("password_tries", &E::password_tries)};
    }
};

// Sender stream: a password that opened no waiting form, kept for a form still to come.
struct PasswordHeld {
    static constexpr std::string_view kType = "PasswordHeld";
    static constexpr int kSchema = 1;
    std::string message_id;
    std::string raw_blob;
    std::string password_hmac;
    std::optional<std::uint64_t> password_tries;
    static constexpr auto fields() {
        using E = PasswordHeld;
        return std::tuple{field("message_id", &E::message_id), field("raw_blob", &E::raw_blob),
                          field("password_hmac", &E::password_hmac),
                          field("password_tries", &E::password_tries)};
    }
};

// Sender stream: the form and the password found each other; neither waits any more.
struct Paired {
    static constexpr std::string_view kType = "Paired";
    static constexpr int kSchema = 1;
    std::string application;
    std::string password_message_id;
    std::optional<std::uint64_t> password_tries;
    static constexpr auto fields() {
        using E = Paired;
        return std::tuple{field("application", &E::application),
                          field("password_message_id", &E::password_message_id),
                          field("password_tries", &E::password_tries)};
    }
};

// Sender stream: intake answered a refused mail of this sender (refusal_answer.h); at most one
// answer per sender in kRefusalAnswerIntervalMs, so forged mails cannot aim a flood at anyone.
struct RefusalAnswered {
    static constexpr std::string_view kType = "RefusalAnswered";
    static constexpr int kSchema = 1;
    std::string message_stream;  // the refused mail's, where the answer's MailQueued is
    static constexpr auto fields() {
        return std::tuple{field("message_stream", &RefusalAnswered::message_stream)};
    }
};

// Duplicate stream: an application whose form has this organisation and contact address.
struct DuplicateKeyRecorded {
    static constexpr std::string_view kType = "DuplicateKeyRecorded";
    static constexpr int kSchema = 1;
    std::string application;
    static constexpr auto fields() {
        return std::tuple{field("application", &DuplicateKeyRecorded::application)};
    }
};

}  // namespace kakitome::domain
