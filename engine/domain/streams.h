// The name of every stream kakitome writes, made and taken apart in one place.
//
//   application-<id>      one application: both mails, the form, decisions, links, mail
//   sender-<hash>         a sender's forms waiting for a password and passwords held
//   message-<hash>        one received mail (its Message-ID, or its bytes when it has none)
//   duplicate-<hash>      applications with the same organisation and contact address
//   token-<sha256>        which application a download token belongs to
//   disclosure-<name>     every disclosure of personal data to one principal
//   incident-<id>         one incident's investigation
//   evidence-<id>         the registrations and requests imported from another system into it
//   idempotency-<hash>    a command's outcome under one principal's Idempotency-Key
//   principals            API principals and their tokens
//   operations            backups restored, rollbacks accepted (operations_events.h)
//
// Hashes are hex prefixes of a keyed hash (sender, duplicate) or of SHA-256; the lengths below
// keep collisions out of reach for the life of the system while keeping keys short.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace kakitome::domain {

// An application id: the first hex digits of SHA-256("application:" + the form mail's key).
inline constexpr std::size_t kApplicationIdHexDigits = 20;
inline constexpr std::size_t kSenderKeyHexDigits = 32;
inline constexpr std::size_t kMessageKeyHexDigits = 32;
inline constexpr std::size_t kDuplicateKeyHexDigits = 40;
inline constexpr std::size_t kIdempotencyKeyHexDigits = 40;

inline constexpr std::string_view kPrincipalsStream = "principals";

// What every application (incident) stream name starts with: EventStore::stream_names lists
// them all.
inline constexpr std::string_view kApplicationStreamPrefix = "application-";
inline constexpr std::string_view kIncidentStreamPrefix = "incident-";
inline constexpr std::string_view kMessageStreamPrefix = "message-";

std::string application_stream(std::string_view application);
// The application of an application stream; nullopt for any other stream.
std::optional<std::string> application_of(std::string_view stream);
bool is_application_stream(std::string_view stream);
// The vault key that seals a stream's personal data: the application's for an application
// stream; for a message stream (the reply to a refused mail, which belongs to no application)
// the stream's own name, so erasing an application never touches it and vice versa.
std::string data_key_of(std::string_view stream);

std::string sender_stream(std::string_view sender_key);
std::string message_stream(std::string_view message_key_hex);
std::string duplicate_stream(std::string_view duplicate_key_hex);
std::string token_stream(std::string_view token_sha256);
std::string disclosure_stream(std::string_view principal);
std::string incident_stream(std::string_view incident);
// The incident of an incident stream; nullopt for any other stream.
std::optional<std::string> incident_of(std::string_view stream);
std::string evidence_stream(std::string_view incident);
std::string idempotency_stream(std::string_view key_hex);

}  // namespace kakitome::domain
