#include "api/witness/witness.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "events/base/base64.h"
#include "events/base/sha256.h"
#include "events/ledger.h"
#include "events/merkle.h"
#include "events/private_directory.h"

namespace kakitome::witness {

namespace {

http::HttpResponse answer(int status, std::string body,
                          std::string content_type = "text/plain; charset=utf-8") {
    http::HttpResponse response;
    response.status = status;
    response.body = std::move(body);
    response.set_header("Content-Type", content_type);
    return response;
}

// The size the witness holds, as C2SP asks: decimal, a newline, exactly this content type.
http::HttpResponse conflict(std::uint64_t size) {
    return answer(409, std::to_string(size) + "\n", "text/x.tlog.size");
}

Status write_durably(const std::filesystem::path& file, const std::string& bytes) {
    const std::string temporary = file.string() + ".tmp";
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return Status::io_error("cannot create " + temporary + ": " + std::strerror(errno));
    const bool written =
        ::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()) &&
        ::fsync(fd) == 0;
    ::close(fd);
    if (!written || ::rename(temporary.c_str(), file.c_str()) != 0)
        return Status::io_error("cannot write " + file.string() + ": " + std::strerror(errno));
    const int directory = ::open(file.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (directory < 0) return Status::io_error("cannot open " + file.parent_path().string());
    const bool synced = ::fsync(directory) == 0;
    ::close(directory);
    return synced ? Status::ok() : Status::io_error("cannot fsync " + file.parent_path().string());
}

}  // namespace

Witness::Witness(std::filesystem::path state_directory, Cosigner cosigner,
                 std::vector<WitnessedLog> logs, std::function<std::uint64_t()> clock_seconds)
    : state_directory_(std::move(state_directory)),
      cosigner_(std::move(cosigner)),
      logs_(std::move(logs)),
      clock_seconds_(std::move(clock_seconds)) {}

Result<std::unique_ptr<Witness>> Witness::open(std::filesystem::path state_directory,
                                               Cosigner cosigner, std::vector<WitnessedLog> logs,
                                               std::function<std::uint64_t()> clock_seconds) {
    if (logs.empty()) return Status::invalid_argument("a witness needs at least one log");
    for (const auto& log : logs) KAKITOME_RETURN_IF_ERROR(check_verifier_key(log.verifier_key));
    KAKITOME_RETURN_IF_ERROR(create_private_directory(state_directory));
    KAKITOME_RETURN_IF_ERROR(check_private_directory(state_directory));
    return std::unique_ptr<Witness>(new Witness(std::move(state_directory), std::move(cosigner),
                                                std::move(logs), std::move(clock_seconds)));
}

std::filesystem::path Witness::state_file(const std::string& origin) const {
    return state_directory_ / (to_hex(sha256(origin)).substr(0, 32) + ".checkpoint");
}

http::HttpResponse Witness::add_checkpoint(const std::string& body) {
    // "old N\n", proof lines, "\n", the note.
    const auto first_end = body.find('\n');
    if (first_end == std::string::npos || body.rfind("old ", 0) != 0)
        return answer(400, "the body starts with \"old <size>\"\n");
    const auto old_size = parse_tree_size(std::string_view(body).substr(4, first_end - 4));
    if (!old_size) return answer(400, "old is a decimal size without leading zeroes\n");
    std::vector<merkle::Hash> proof;
    std::size_t at = first_end + 1;
    while (true) {
        const auto end = body.find('\n', at);
        if (end == std::string::npos) return answer(400, "no blank line before the checkpoint\n");
        if (end == at) {
            at = end + 1;
            break;
        }
        auto hash = base64_decode(std::string_view(body).substr(at, end - at));
        if (!hash.is_ok() || hash->size() != 32 || proof.size() >= 63)
            return answer(400, "a proof line is one base64 SHA-256 hash (at most 63)\n");
        merkle::Hash node{};
        std::memcpy(node.data(), hash->data(), 32);
        proof.push_back(node);
        at = end + 1;
    }
    const std::string note = body.substr(at);
    auto unverified = read_checkpoint_unverified(note);
    if (!unverified.is_ok()) return answer(400, "not a checkpoint note\n");
    const WitnessedLog* log = nullptr;
    for (const auto& candidate : logs_)
        if (candidate.origin == unverified->origin) log = &candidate;
    if (!log) return answer(404, "this witness does not witness " + unverified->origin + "\n");
    auto checkpoint = open_checkpoint(note, log->verifier_key);
    if (!checkpoint.is_ok())
        return answer(403, "the checkpoint is not signed by the log's key: " +
                               checkpoint.status().message() + "\n");
    if (*old_size > checkpoint->size) return answer(400, "old size above the checkpoint's size\n");

    const std::lock_guard lock(mutex_);
    std::uint64_t held_size = 0;
    merkle::Hash held_root{};
    {
        std::ifstream in(state_file(log->origin), std::ios::binary);
        if (in) {
            std::stringstream text;
            text << in.rdbuf();
            auto held = read_checkpoint_unverified(text.str());
            if (!held.is_ok()) return answer(500, "the witness's state is damaged\n");
            held_size = held->size;
            held_root = held->root;
        }
    }
    if (*old_size != held_size) return conflict(held_size);
    if (held_size == 0) {
        if (!proof.empty()) return answer(422, "the proof from size 0 is empty\n");
    } else if (held_size == checkpoint->size) {
        if (held_root != checkpoint->root) return conflict(held_size);  // same size, other tree
        if (!proof.empty()) return answer(422, "the proof between equal sizes is empty\n");
    } else if (!merkle::verify_consistency(held_size, checkpoint->size, proof, held_root,
                                           checkpoint->root)
                    .is_ok()) {
        return answer(422, "the checkpoint is not an extension of the one this witness cosigned\n");
    }
    // The note's whole text before its signatures (extension lines included, as C2SP asks).
    const std::string signed_text = note.substr(0, note.find("\n\n") + 1);
    if (!write_durably(state_file(log->origin), note).is_ok())
        return answer(500, "the witness cannot store its state\n");
    return answer(200, cosigner_.cosign(signed_text, clock_seconds_()));
}

}  // namespace kakitome::witness
