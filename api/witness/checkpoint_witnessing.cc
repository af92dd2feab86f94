#include "api/witness/checkpoint_witnessing.h"

#include <optional>

#include "api/http/http_client.h"
#include "events/base/base64.h"
#include "events/cosignature.h"

namespace kakitome::witness {

namespace {

// The witness's answer to one add-checkpoint request (a small text body).
http::ClientReply post(const std::string& url, const std::string& body) {
    return http::send_request({.method = "POST",
                               .url = url,
                               .headers = {"Content-Type: text/plain"},
                               .body = body,
                               .max_reply_bytes = 65536});
}

std::string size_key(const std::string& witness) {
    return "witness:" + witness + ":size";
}

// A 409's body: the size, then "\n".
std::optional<std::uint64_t> size_line(std::string_view text) {
    if (!text.ends_with('\n')) return std::nullopt;
    return parse_tree_size(text.substr(0, text.size() - 1));
}

}  // namespace

CheckpointWitnessing::CheckpointWitnessing(Ledger& ledger, MetaStore meta,
                                           std::vector<workflow::WitnessSettings> witnesses,
                                           std::size_t min_witnesses)
    : ledger_(ledger),
      meta_(std::move(meta)),
      witnesses_(std::move(witnesses)),
      min_witnesses_(min_witnesses) {
    for (const auto& witness : witnesses_)
        status_.push_back(
            {verifier_key_name(witness.verifier_key), witness.url, 0, "", false, 0, false});
}

std::vector<WitnessStatus> CheckpointWitnessing::status() const {
    const std::lock_guard lock(mutex_);
    return status_;
}

Status CheckpointWitnessing::run_once(const std::function<void(const std::string&)>& report) {
    if (witnesses_.empty()) return Status::ok();
    auto latest = ledger_.latest_checkpoint();
    if (!latest.is_ok()) return latest.status();
    if (!latest.value()) return Status::ok();
    auto cosigned = ledger_.cosigned_note(*latest.value());
    if (!cosigned.is_ok()) return cosigned.status();
    for (std::size_t i = 0; i < witnesses_.size(); ++i) {
        const std::string name = status()[i].name;
        bool has = false;
        for (const auto& witness : cosigned->second) has = has || witness == name;
        if (has) {
            note_cosigned(i, latest.value()->size);
            continue;
        }
        submit(i, *latest.value(), report);
    }
    return Status::ok();
}

std::vector<WitnessStatus> CheckpointWitnessing::probe(
    const Checkpoint& checkpoint, const std::function<void(const std::string&)>& report) {
    for (std::size_t i = 0; i < witnesses_.size(); ++i) submit(i, checkpoint, report);
    return status();
}

void CheckpointWitnessing::note_cosigned(std::size_t index, std::uint64_t size) {
    const std::lock_guard lock(mutex_);
    WitnessStatus& status = status_[index];
    status.cosigned_size = size;
    status.problem.clear();
    status.refused = false;
    status.ahead_size = 0;
    status.forked = false;
}

void CheckpointWitnessing::submit(std::size_t index, const Checkpoint& checkpoint,
                                  const std::function<void(const std::string&)>& report) {
    const auto& witness = witnesses_[index];
    const std::string name = verifier_key_name(witness.verifier_key);
    std::uint64_t ahead_size = 0;
    bool forked = false;
    auto fail = [&](const std::string& problem, bool refused) {
        {
            const std::lock_guard lock(mutex_);
            status_[index].problem = problem;
            status_[index].refused = refused;
            status_[index].ahead_size = ahead_size;
            status_[index].forked = forked;
        }
        if (refused) refusals_.fetch_add(1);
        if (report)
            report((refused ? "witness " + name + " REFUSED checkpoint "
                            : "witness " + name + " missed checkpoint ") +
                   std::to_string(checkpoint.size) + ": " + problem);
    };
    std::uint64_t old_size = 0;
    if (auto held = meta_.get(size_key(name)); held.is_ok() && held.value())
        old_size = parse_tree_size(*held.value()).value_or(0);
    const std::string url =
        witness.url + (witness.url.ends_with("/") ? "" : "/") + "add-checkpoint";
    // A second try when the witness says it holds another size (409): from that size.
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (old_size > checkpoint.size) {
            ahead_size = old_size;
            return fail("the witness cosigned size " + std::to_string(old_size) +
                            " but this log's checkpoint is " + std::to_string(checkpoint.size) +
                            ": the log was rolled back or forked",
                        true);
        }
        std::string body = "old " + std::to_string(old_size) + "\n";
        if (old_size > 0 && old_size < checkpoint.size) {
            auto proof = ledger_.consistency_proof(old_size, checkpoint.size);
            if (!proof.is_ok()) return fail(proof.status().message(), false);
            for (const auto& hash : proof.value())
                body += base64_encode(
                            std::string_view(reinterpret_cast<const char*>(hash.data()), 32)) +
                        "\n";
        }
        body += "\n" + checkpoint.note;
        const http::ClientReply reply = post(url, body);
        if (!reply.error.empty()) return fail("unreachable: " + reply.error, false);
        if (reply.status == 200) {
            // Exactly one signature line by this witness, valid under its key: nothing else
            // is appended to the note others read.
            const std::string line = reply.body;
            const std::string prefix = "\xE2\x80\x94 " + name + " ";
            if (line.rfind(prefix, 0) != 0 || line.find('\n') != line.size() - 1 ||
                !verify_cosignature(checkpoint.note + line, witness.verifier_key).is_ok())
                return fail("its answer is not one valid cosignature line by its key", true);
            const Status stored = ledger_.store_cosignature(checkpoint.size, name, line);
            if (!stored.is_ok()) return fail(stored.message(), false);
            (void)meta_.put(size_key(name), std::to_string(checkpoint.size));
            note_cosigned(index, checkpoint.size);
            return;
        }
        if (reply.status == 409 && reply.content_type.rfind("text/x.tlog.size", 0) == 0) {
            const auto parsed = size_line(reply.body);
            if (!parsed) return fail("409 without a size", true);
            const std::uint64_t held = *parsed;
            if (held == old_size) {
                forked = true;
                return fail("the witness holds another tree of size " + std::to_string(held) +
                                ": a split view (fork) of this log",
                            true);
            }
            old_size = held;
            (void)meta_.put(size_key(name), std::to_string(held));
            continue;
        }
        // 422: the consistency proof from the size it holds failed, i.e. another tree.
        forked = reply.status == 422;
        return fail("HTTP " + std::to_string(reply.status) + ": " +
                        reply.body.substr(0, reply.body.find('\n')),
                    reply.status == 403 || reply.status == 422 || reply.status == 409);
    }
    fail("the witness's size keeps changing", true);
}

}  // namespace kakitome::witness
