// kakitome demo [--data DIR]: appends a scripted history of two applications (one approved and
// downloaded, one rejected) through the real event store, then prints both streams. Until the
// engine drives the workflow from real mail, this is what `make demo` shows. Payloads carry
// references (message ids, blob ids), never PII in clear, as the engine's events will.
#include <cstdio>

#include "api/cli/arguments.h"
#include "api/cli/commands.h"
#include "api/cli/store_access.h"

namespace kakitome::cli {

namespace {

struct ScriptedStep {
    const char* type;
    const char* payload;
    const char* actor;
};

constexpr ScriptedStep kApprovedApplication[] = {
    {"FormMailReceived", R"({"message_id":"<form-0001@hospital.example.jp>","attachment_blob":"pending","sender_key":"hmac:4f1c"})", "system"},
    {"PasswordMailReceived", R"({"message_id":"<pw-0001@hospital.example.jp>","password_hmac":"hmac:9a2e"})", "system"},
    {"MailsPaired", R"({"form_message_id":"<form-0001@hospital.example.jp>","password_message_id":"<pw-0001@hospital.example.jp>"})", "system"},
    {"FormDecrypted", R"({"encryption":"agile","plaintext_sha256":"c472efc5bf9d0e5c460f9f730aa327bb5ab572598e6388d0479fe7b10dc3b3cd"})", "system"},
    {"ApplicationValidated", R"({"usages":["公式HP","施設内モニター"]})", "system"},
    {"UrlIssued", R"({"token_sha256":"5d41402abc4b2a76b9719d911017c592","expires":"2026-03-31"})", "operator:sato"},
    {"MailQueued", R"({"template":"url_notice","message_id":"<notice-0001@kakitome.example>"})", "system"},
    {"MailSent", R"({"message_id":"<notice-0001@kakitome.example>","attempt":1})", "system"},
    {"UrlDownloaded", R"({"request_id":"req-7781"})", "applicant"},
};

constexpr ScriptedStep kRejectedApplication[] = {
    {"PasswordMailReceived", R"({"message_id":"<pw-0002@pharmacy.example.jp>","password_hmac":"hmac:11be"})", "system"},
    {"FormMailReceived", R"({"message_id":"<form-0002@pharmacy.example.jp>","attachment_blob":"pending","sender_key":"hmac:77d0"})", "system"},
    {"MailsPaired", R"({"form_message_id":"<form-0002@pharmacy.example.jp>","password_message_id":"<pw-0002@pharmacy.example.jp>","order":"password_first"})", "system"},
    {"FormDecrypted", R"({"encryption":"agile","plaintext_sha256":"ec8acb828ca058398ededcbe7e1e65293c26d1dc077f606e640985b193409345"})", "system"},
    {"ApplicationRejected", R"({"codes":["consent_not_given"]})", "system"},
};

template <std::size_t N>
bool append_history(EventStore& store, const std::string& stream, const ScriptedStep (&steps)[N]) {
    // One append per step, each with the version the previous one produced, as commands will.
    StreamVersion version{0};
    for (const auto& step : steps) {
        NewEvent event{.type = step.type, .payload_json = step.payload, .actor = step.actor,
                       .correlation = stream};
        auto appended = store.append_with_expected_version(stream, version, {event});
        if (!appended.is_ok()) {
            std::fprintf(stderr, "kakitome demo: %s\n", appended.status().to_string().c_str());
            return false;
        }
        version = appended->stream_version;
    }
    return true;
}

bool print_stream(const EventStore& store, const std::string& stream) {
    auto events = store.read_stream_forward(stream, StreamVersion{1}, 1000);
    if (!events.is_ok()) return false;
    std::printf("== %s (%zu events)\n", stream.c_str(), events->size());
    for (const auto& event : events.value()) {
        std::printf("  seq %-3llu v%-2llu %s  %-22s %s\n",
                    static_cast<unsigned long long>(event.seq.value),
                    static_cast<unsigned long long>(event.version.value), event.at.c_str(),
                    event.type.c_str(), to_hex(event.hash).substr(0, 16).c_str());
    }
    return true;
}

}  // namespace

int run_demo(const Words& words) {
    auto arguments = Arguments::parse(words, {"data"}, {});
    if (!arguments.is_ok() || !arguments->positionals().empty()) {
        std::fprintf(stderr, "usage: kakitome demo [--data DIR]\n");
        return kExitBadInput;
    }
    auto store = open_store_or_report("demo", arguments->value_or("data", kDefaultDataDirectory),
                                      /*read_only=*/false);
    if (!store) return kExitStoreError;
    // A fresh id per run, so running the demo twice on one directory extends the history.
    const std::string run = std::to_string(store->head().value + 1);
    const std::string approved = "application-demo-" + run + "-a";
    const std::string rejected = "application-demo-" + run + "-b";
    if (!append_history(*store, approved, kApprovedApplication) ||
        !append_history(*store, rejected, kRejectedApplication)) {
        return kExitStoreError;
    }
    // Show that optimistic concurrency refuses a stale writer.
    auto stale = store->append_with_expected_version(
        approved, StreamVersion{3}, {NewEvent{.type = "ApplicationWithdrawn", .payload_json = "{}"}});
    std::printf("stale append at version 3: %s\n", stale.status().to_string().c_str());
    if (!print_stream(*store, approved) || !print_stream(*store, rejected)) return kExitStoreError;
    return kExitOk;
}

}  // namespace kakitome::cli
