// libFuzzer target: arbitrary bytes as a received mail, through the whole intake path on a real
// (temporary) store: MIME parsing, classification, pairing, decryption, xlsx reading, events.
// Intake must return a value for every input: a crash, a sanitizer report or an error status
// (rather than a recorded rejection) is a finding. Run with `make fuzz` (not part of CI).
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>

#include "engine/intake/intake_service.h"

namespace {

struct Harness {
    std::filesystem::path directory;
    std::shared_ptr<kakitome::Database> database;
    std::unique_ptr<kakitome::EventStore> store;
    kakitome::AeadKey master{};
    std::unique_ptr<kakitome::BlobStore> blobs;
    std::unique_ptr<kakitome::DataKeyVault> vault;
    std::unique_ptr<kakitome::intake::IntakeService> intake;

    Harness() {
        directory = std::filesystem::temp_directory_path() /
                    ("kakitome-fuzz-" + std::to_string(::getpid()));
        std::filesystem::remove_all(directory);
        database = kakitome::Database::open({.directory = directory,
                                             .extra_column_families = {kakitome::kDataKeysFamily}})
                       .value();
        store = kakitome::EventStore::open(database, {.durability = kakitome::Durability::buffered})
                    .value();
        blobs = std::make_unique<kakitome::BlobStore>(database, master);
        vault = kakitome::DataKeyVault::open(
                    database, master,
                    kakitome::ErasureJournal::open({directory / "erasures.journal"}).value())
                    .value();
        intake = std::make_unique<kakitome::intake::IntakeService>(
            *store, *blobs, *vault, master, kakitome::workflow::WorkflowConfig(),
            kakitome::intake::MailLimits{.max_bytes = 1 << 20});
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static Harness harness;
    auto outcome =
        harness.intake->ingest(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
    if (!outcome.is_ok()) std::abort();  // bad input must become a recorded rejection, not an error
    return 0;
}
