#include "engine/workflow/settings_file.h"

#include "events/base/operator_log.h"
#include "events/cosignature.h"

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

namespace kakitome::workflow {

using nlohmann::json;

namespace {

Result<std::string> read_secret_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Status::invalid_argument("cannot read secret file " + path);
    std::stringstream buffer;
    buffer << in.rdbuf();
    std::string secret = buffer.str();
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
    return secret;
}

Status check_keys(const json& object, const std::string& where,
                  const std::set<std::string>& allowed) {
    if (!object.is_object()) return Status::invalid_argument(where + " must be a JSON object");
    for (const auto& [key, value] : object.items()) {
        if (!allowed.count(key))
            return Status::invalid_argument("unknown setting " + where + "." + key)
                .with_reason("unknown_setting");
    }
    return Status::ok();
}

}  // namespace

namespace {

constexpr const char* kDemoEndpoint = "http://127.0.0.1:9000";
constexpr const char* kDemoAccessKeyId = "AKIDKAKITOMEDEMO";
constexpr const char* kDemoSecret = "demo-secret-not-for-production";

}  // namespace

bool uses_demo_storage(const Settings& settings) {
    return settings.workflow.video.endpoint == kDemoEndpoint ||
           settings.workflow.storage_credentials.access_key_id == kDemoAccessKeyId ||
           settings.workflow.storage_credentials.secret_access_key == kDemoSecret;
}

Result<Settings> load_settings(const std::string& path) {
    Settings settings;
    settings.workflow.video = {kDemoEndpoint, "kenpo-pr-video", "pr-video.mp4", "ap-northeast-1",
                               true};
    settings.workflow.storage_credentials = {kDemoAccessKeyId, kDemoSecret, ""};
    if (const char* secret = std::getenv("AWS_SECRET_ACCESS_KEY"))
        settings.workflow.storage_credentials.secret_access_key = secret;
    if (const char* id = std::getenv("AWS_ACCESS_KEY_ID"))
        settings.workflow.storage_credentials.access_key_id = id;
    if (const char* smtp_password = std::getenv("KAKITOME_SMTP_PASSWORD"))
        settings.outbox.smtp.password = smtp_password;
    if (path.empty()) return settings;

    std::ifstream in(path, std::ios::binary);
    if (!in) return Status::invalid_argument("cannot read configuration " + path);
    // Comments are allowed: the packaged file documents every key in place.
    const json root = json::parse(in, nullptr, /*allow_exceptions=*/false,
                                  /*ignore_comments=*/true);
    if (root.is_discarded()) return Status::invalid_argument(path + " is not valid JSON");
    try {
        KAKITOME_RETURN_IF_ERROR(
            check_keys(root, "config",
                       {"public_base_url", "url_valid_days", "extra_closures", "sla", "mail",
                        "storage", "campaign", "backup", "witnesses", "min_witnesses", "tokens",
                        "retention", "log_level", "disk", "memory", "replication"}));
        if (root.contains("replication")) {
            const json& section = root["replication"];
            KAKITOME_RETURN_IF_ERROR(
                check_keys(section, "replication",
                           {"mode", "servers", "node", "stream", "replicas", "lease_ms"}));
            auto& replication = settings.replication;
            const std::string mode = section.value("mode", std::string("embedded"));
            if (mode != "embedded" && mode != "replicated")
                return Status::invalid_argument(
                    "replication.mode must be \"embedded\" or \"replicated\"");
            replication.replicated = mode == "replicated";
            if (section.contains("servers")) {
                if (!section["servers"].is_array())
                    return Status::invalid_argument(
                        "replication.servers is a list of nats://host:port");
                for (const json& server : section["servers"])
                    replication.servers.push_back(server.get<std::string>());
            }
            replication.node = section.value("node", std::string());
            replication.stream = section.value("stream", replication.stream);
            replication.replicas = section.value("replicas", replication.replicas);
            replication.lease_ms = section.value("lease_ms", replication.lease_ms);
            if (replication.replicated && (replication.servers.empty() || replication.node.empty()))
                return Status::invalid_argument(
                    "replication.mode \"replicated\" needs servers (nats://host:port, ...) and "
                    "this node's name (node)");
            for (const auto& server : replication.servers) {
                if (server.rfind("nats://", 0) != 0 && server.rfind("tls://", 0) != 0)
                    return Status::invalid_argument("replication.servers must be nats://host:port");
            }
            if (replication.replicas < 1 || replication.replicas > 5 ||
                replication.lease_ms < 500 || replication.lease_ms > 600'000)
                return Status::invalid_argument(
                    "replication.replicas must be 1 to 5 and lease_ms 500 to 600000");
        }
        if (root.contains("disk")) {
            KAKITOME_RETURN_IF_ERROR(check_keys(root["disk"], "disk", {"reserve_free_bytes"}));
            const json reserve = root["disk"].value("reserve_free_bytes", json());
            if (!reserve.is_number_unsigned())
                return Status::invalid_argument(
                    "disk.reserve_free_bytes must be a number of bytes (0 or more)");
            settings.reserve_free_bytes = reserve.get<std::uint64_t>();
        }
        if (root.contains("memory")) {
            KAKITOME_RETURN_IF_ERROR(check_keys(root["memory"], "memory", {"block_cache_bytes"}));
            const json cache = root["memory"].value("block_cache_bytes", json());
            // Below 8 MiB (what each family had before there was one cache) the blocks pinned
            // in it, a top-level index per table and level 0's, would crowd out the rest.
            if (!cache.is_number_unsigned() || cache.get<std::uint64_t>() < (8u << 20))
                return Status::invalid_argument(
                    "memory.block_cache_bytes must be a number of bytes, 8388608 (8 MiB) or more");
            settings.block_cache_bytes = cache.get<std::uint64_t>();
        }
        if (root.contains("log_level")) {
            settings.log_level = root["log_level"].get<std::string>();
            if (!logging::level_from_name(settings.log_level))
                return Status::invalid_argument("log_level must be debug, info, warning or error");
        }
        if (root.contains("retention")) {
            const json& retention = root["retention"];
            KAKITOME_RETURN_IF_ERROR(check_keys(
                retention, "retention",
                {"after_close_business_days", "after_usage_period_days", "check_every_minutes"}));
            auto& policy = settings.retention;
            policy.enabled = true;
            policy.after_close_business_days =
                retention.value("after_close_business_days", policy.after_close_business_days);
            policy.after_usage_period_days =
                retention.value("after_usage_period_days", policy.after_usage_period_days);
            policy.check_every_minutes =
                retention.value("check_every_minutes", policy.check_every_minutes);
            if (policy.after_close_business_days < 0 || policy.after_close_business_days > 3650 ||
                policy.after_usage_period_days < 0 || policy.after_usage_period_days > 36500 ||
                policy.check_every_minutes < 1 || policy.check_every_minutes > 10080)
                return Status::invalid_argument(
                    "retention.after_close_business_days must be 0 to 3650, "
                    "after_usage_period_days 0 to 36500 and check_every_minutes 1 to 10080");
        }
        if (root.contains("tokens")) {
            KAKITOME_RETURN_IF_ERROR(check_keys(root["tokens"], "tokens", {"expiry_days"}));
            settings.token_expiry_days = root["tokens"].value("expiry_days", std::int64_t{90});
            if (settings.token_expiry_days < 1 || settings.token_expiry_days > 3660)
                return Status::invalid_argument("tokens.expiry_days must be 1 to 3660");
        }
        if (root.contains("witnesses")) {
            if (!root["witnesses"].is_array())
                return Status::invalid_argument("witnesses is a list of {url, verifier_key}");
            for (const json& witness : root["witnesses"]) {
                KAKITOME_RETURN_IF_ERROR(
                    check_keys(witness, "witnesses[]", {"url", "verifier_key"}));
                WitnessSettings entry{witness.value("url", ""), witness.value("verifier_key", "")};
                if (entry.url.rfind("http://", 0) != 0 && entry.url.rfind("https://", 0) != 0)
                    return Status::invalid_argument("witnesses[].url must be http(s)://...");
                KAKITOME_RETURN_IF_ERROR(check_cosigner_key(entry.verifier_key));
                settings.witnesses.push_back(std::move(entry));
            }
        }
        settings.min_witnesses = root.value("min_witnesses", std::size_t{0});
        if (settings.min_witnesses > settings.witnesses.size())
            return Status::invalid_argument("min_witnesses is more than the witnesses listed");
        if (root.contains("backup")) {
            const json& backup = root["backup"];
            KAKITOME_RETURN_IF_ERROR(
                check_keys(backup, "backup", {"directory", "keep", "every_minutes"}));
            settings.backup.directory = backup.value("directory", "");
            settings.backup.keep = backup.value("keep", settings.backup.keep);
            settings.backup.every_minutes = backup.value("every_minutes", std::int64_t{0});
            if (settings.backup.keep < 1 || settings.backup.every_minutes < 0)
                return Status::invalid_argument(
                    "backup.keep must be at least 1 and backup.every_minutes not negative");
        }
        if (root.contains("campaign")) {
            const json& campaign = root["campaign"];
            KAKITOME_RETURN_IF_ERROR(
                check_keys(campaign, "campaign", {"usage_period_first", "usage_period_last"}));
            auto& period = settings.workflow.usage_period;
            period.first = campaign.value("usage_period_first", period.first);
            period.last = campaign.value("usage_period_last", period.last);
            if (!CivilDate::parse(period.first) || !CivilDate::parse(period.last) ||
                period.first > period.last)
                return Status::invalid_argument(
                    "campaign.usage_period_first and usage_period_last must be dates "
                    "(YYYY-MM-DD), first <= last");
        }
        auto& workflow = settings.workflow;
        workflow.public_base_url = root.value("public_base_url", workflow.public_base_url);
        workflow.url_valid_days = root.value("url_valid_days", workflow.url_valid_days);
        if (workflow.url_valid_days < 1)
            return Status::invalid_argument("url_valid_days must be at least 1");
        std::vector<CivilDate> closures;
        for (const auto& day : root.value("extra_closures", json::array())) {
            auto date = CivilDate::parse(day.get<std::string>());
            if (!date)
                return Status::invalid_argument("extra_closures: not a date: " +
                                                day.get<std::string>());
            closures.push_back(*date);
        }
        workflow.calendar = BusinessCalendar(closures);
        if (root.contains("sla")) {
            const json& sla = root["sla"];
            KAKITOME_RETURN_IF_ERROR(check_keys(
                sla, "sla",
                {"password_reminder_business_days", "due_business_days", "overdue_business_days"}));
            workflow.password_reminder_business_days = sla.value(
                "password_reminder_business_days", workflow.password_reminder_business_days);
            workflow.sla_due_business_days =
                sla.value("due_business_days", workflow.sla_due_business_days);
            workflow.sla_overdue_business_days =
                sla.value("overdue_business_days", workflow.sla_overdue_business_days);
        }
        if (root.contains("mail")) {
            const json& mail = root["mail"];
            KAKITOME_RETURN_IF_ERROR(
                check_keys(mail, "mail",
                           {"from", "from_name", "message_id_domain", "smtp_url", "username",
                            "password_file", "require_tls", "max_attempts"}));
            workflow.mail_from = mail.value("from", workflow.mail_from);
            workflow.mail_from_name = mail.value("from_name", workflow.mail_from_name);
            workflow.message_id_domain =
                mail.value("message_id_domain", workflow.message_id_domain);
            settings.outbox.smtp.url = mail.value("smtp_url", settings.outbox.smtp.url);
            settings.outbox.smtp.username = mail.value("username", "");
            settings.outbox.smtp.require_tls = mail.value("require_tls", false);
            settings.outbox.max_attempts = mail.value("max_attempts", settings.outbox.max_attempts);
            if (mail.contains("password_file")) {
                auto password = read_secret_file(mail["password_file"]);
                if (!password.is_ok()) return password.status();
                settings.outbox.smtp.password = password.value();
            }
        }
        if (root.contains("storage")) {
            const json& storage = root["storage"];
            KAKITOME_RETURN_IF_ERROR(
                check_keys(storage, "storage",
                           {"endpoint", "bucket", "key", "region", "path_style", "access_key_id",
                            "secret_access_key_file", "presigned_seconds"}));
            auto& video = workflow.video;
            video.endpoint = storage.value("endpoint", video.endpoint);
            video.bucket = storage.value("bucket", video.bucket);
            video.key = storage.value("key", video.key);
            video.region = storage.value("region", video.region);
            video.path_style = storage.value("path_style", video.path_style);
            workflow.presigned_seconds =
                storage.value("presigned_seconds", workflow.presigned_seconds);
            workflow.storage_credentials.access_key_id =
                storage.value("access_key_id", workflow.storage_credentials.access_key_id);
            if (storage.contains("secret_access_key_file")) {
                auto secret = read_secret_file(storage["secret_access_key_file"]);
                if (!secret.is_ok()) return secret.status();
                workflow.storage_credentials.secret_access_key = secret.value();
            }
        }
    } catch (const json::exception& error) {
        return Status::invalid_argument(path + ": " + error.what());
    }
    return settings;
}

}  // namespace kakitome::workflow
