// SmtpSender: hands one message to an SMTP server with libcurl (smtp:// or smtps://, optional
// STARTTLS and login), bounded by a timeout. A non-ok Status says the server did not accept the
// message; the outbox decides whether and when to try again. Thread-safe (no shared state).
#pragma once

#include <chrono>
#include <string>

#include "events/base/status.h"

namespace kakitome::mail {

struct SmtpSettings {
    std::string url = "smtp://127.0.0.1:25";
    std::string username;
    std::string password;
    bool require_tls = false;
    std::chrono::seconds timeout{30};
};

Status send_smtp(const SmtpSettings& settings, const std::string& envelope_from,
                 const std::string& recipient, const std::string& message);

}  // namespace kakitome::mail
