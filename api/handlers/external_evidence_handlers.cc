// Another system's evidence for an incident over HTTP: a registration export or an access log
// as the request body (POST /v1/incidents/{incident}/imports/{kind}), and the signed evidence
// bundle (GET /v1/incidents/{incident}/evidence). docs/incidents.md walks through both.
#include "api/service_impl.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "api/routes.h"
#include "engine/evidence/evidence_import.h"
#include "events/base/aead.h"
#include "replay/evidence_bundle.h"

namespace kakitome::api {

namespace {

// The body as a file for the streaming importer, without a byte of it on disk: an anonymous
// memory file (memfd), named through /proc/self/fd, gone when closed — also when the server is
// killed mid-import. The registrants' export never lands in a shared temporary directory.
class BodyFile {
  public:
    explicit BodyFile(const std::string& body)
        : descriptor_(::memfd_create("kakitome-import", MFD_CLOEXEC)) {
        if (descriptor_ < 0) return;
        std::size_t written = 0;
        while (written < body.size()) {
            const auto result = ::write(descriptor_, body.data() + written, body.size() - written);
            if (result <= 0) return;
            written += static_cast<std::size_t>(result);
        }
        path_ = "/proc/self/fd/" + std::to_string(descriptor_);
    }
    ~BodyFile() {
        if (descriptor_ >= 0) ::close(descriptor_);
    }
    BodyFile(const BodyFile&) = delete;
    BodyFile& operator=(const BodyFile&) = delete;
    bool ok() const { return !path_.empty(); }
    const std::filesystem::path& path() const { return path_; }

  private:
    int descriptor_;
    std::filesystem::path path_;
};

}  // namespace

HttpResponse ApiService::Impl::incident_evidence(Context& context, RouteId id) {
    const std::string& incident_id = context.match.parameters.at("incident");
    if (id == RouteId::incident_evidence) {
        std::ostringstream bundle;
        auto report = write_evidence_bundle(d.store, d.ledger, incident_id, bundle);
        // No signature over the incident's last event yet: ask the worker for one (its next
        // pass, within a second or so) rather than send the responder away for a minute.
        for (int attempt = 0;
             attempt < 40 && !report.is_ok() && report.status().reason() == "checkpoint_pending";
             ++attempt) {
            d.worker.request_checkpoint(d.store.head());
            std::this_thread::sleep_for(std::chrono::milliseconds(250));
            bundle.str("");
            report = write_evidence_bundle(d.store, d.ledger, incident_id, bundle);
        }
        if (!report.is_ok()) {
            if (report.status().reason() == "checkpoint_pending") {
                HttpResponse pending = problem(503, "checkpoint_pending", "checkpoint pending",
                                               report.status().message());
                pending.set_header("Retry-After", "30");
                return pending;
            }
            return problem_for(report.status());
        }
        HttpResponse response;
        response.status = 200;
        response.set_header("Content-Type", "application/x-ndjson");
        response.set_header("Content-Disposition",
                            "attachment; filename=\"evidence-" + incident_id + ".jsonl\"");
        response.body = bundle.str();
        return response;
    }
    const std::string& kind = context.match.parameters.at("kind");
    if (kind != "registrations" && kind != "access-log")
        return problem(404, "unknown_import", "imports are registrations or access-log");
    const std::string name = context.query.count("name") ? context.query["name"] : kind;
    std::optional<evidence::LogFormat> format;
    if (kind == "access-log") {
        format = evidence::log_format_named(context.query.count("format") ? context.query["format"]
                                                                          : "");
        if (!format)
            return problem(400, "invalid_format",
                           "format must be cloudfront, nginx-combined, apache-combined or jsonl");
    }
    if (context.request.body.empty()) return problem(400, "empty_body", "the file is the body");
    BodyFile file(context.request.body);
    if (!file.ok()) return problem(503, "unavailable", "cannot hold the upload for import");
    const evidence::ImportSource source{file.path(), name.substr(0, 200)};
    auto outcome = kind == "registrations"
                       ? evidence::import_registrations(d.store, d.vault, incident_id, source,
                                                        context.principal->name)
                       : evidence::import_access_log(d.store, d.vault, incident_id, *format, source,
                                                     context.principal->name);
    if (!outcome.is_ok()) return problem_for(outcome.status());
    json bad = json::array();
    for (const auto& line : outcome->file.first_bad_lines)
        bad.push_back({{"line", line.line}, {"reason", line.reason}});
    return json_response(outcome->duplicate ? 200 : 201,
                         {{"incident", incident_id},
                          {"file", outcome->file.name},
                          {"sha256", outcome->file.sha256},
                          {"duplicate", outcome->duplicate},
                          {"seq", outcome->seq},
                          {"lines", outcome->file.lines},
                          {"recorded", outcome->file.recorded},
                          {"unrelated", outcome->file.unrelated},
                          {"already_recorded", outcome->file.already_recorded},
                          {"bad_lines", outcome->file.bad_lines},
                          {"first_bad_lines", bad}});
}

}  // namespace kakitome::api
