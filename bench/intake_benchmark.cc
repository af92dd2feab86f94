#include "bench/intake_benchmark.h"

#include <sys/resource.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "engine/intake/intake_service.h"
#include "engine/office/office_document.h"
#include "events/base/base64.h"
#include "events/blob_store.h"
#include "events/data_key_vault.h"

namespace kakitome::bench {

namespace {

double thread_cpu_ms() {
    rusage usage{};
    ::getrusage(RUSAGE_THREAD, &usage);
    return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000.0 +
           static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000.0;
}

const char* kSubject = "=?UTF-8?B?UFIg5YuV55S75Yip55So55Sz6KuL?=";  // PR 動画利用申請

std::string form_mail(const std::string& from, const std::string& id, const std::string& file) {
    std::string encoded = base64_encode(file), wrapped;
    for (std::size_t at = 0; at < encoded.size(); at += 76)
        wrapped += encoded.substr(at, 76) + "\r\n";
    return "From: " + from + "\r\nSubject: " + kSubject + "\r\nMessage-ID: <" + id +
           ">\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n"
           "Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n"
           "Content-Disposition: attachment; filename=\"form.xlsx\"\r\n"
           "Content-Transfer-Encoding: base64\r\n\r\n" +
           wrapped + "--b--\r\n";
}

std::string password_mail(const std::string& from, const std::string& id,
                          const std::string& password) {
    return "From: " + from + "\r\nSubject: " + kSubject + "\r\nMessage-ID: <" + id +
           ">\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + password +
           "\r\n";
}

}  // namespace

Result<std::string> run_intake_benchmark(const IntakeBenchmarkConfig& config) {
    std::ifstream in(config.form_file, std::ios::binary);
    if (!in) return Status::invalid_argument("cannot read " + config.form_file);
    std::stringstream form_bytes;
    form_bytes << in.rdbuf();
    const std::string form = form_bytes.str();

    std::filesystem::remove_all(config.scratch);
    auto database =
        Database::open({.directory = config.scratch, .extra_column_families = {kDataKeysFamily}});
    if (!database.is_ok()) return database.status();
    auto store = EventStore::open(database.value(), {.durability = Durability::buffered});
    if (!store.is_ok()) return store.status();
    AeadKey master{};
    master[0] = 7;
    BlobStore blobs(database.value(), master);
    auto vault = DataKeyVault::open(
        database.value(), master,
        ErasureJournal::open({std::filesystem::path(config.scratch) / "erasures.journal"}).value());
    if (!vault.is_ok()) return vault.status();
    const intake::MailLimits limits;  // the defaults `serve` and `ingest` run with
    intake::IntakeService intake(*store.value(), blobs, *vault.value(), master,
                                 workflow::WorkflowConfig(), limits);

    auto encrypted = [&](std::uint32_t spins, const std::string& password) {
        return office::encrypt_document(form, password, office::EncryptionMethod::agile, spins);
    };
    auto cpu_of = [&](const std::string& raw, std::string* reason = nullptr) -> Result<double> {
        const double start = thread_cpu_ms();
        auto outcome = intake.ingest(raw, "bench");
        const double spent = thread_cpu_ms() - start;
        if (!outcome.is_ok()) return outcome.status();
        if (reason) *reason = outcome->classification + "/" + outcome->reason;
        return spent;
    };

    // The typical application: Excel's spinCount, form then password (decrypt and validate).
    auto typical_file = encrypted(100000, "typical-pw");
    if (!typical_file.is_ok()) return typical_file.status();
    auto typical_form = cpu_of(form_mail("typical@example.jp", "t1@bench", typical_file.value()));
    auto typical_password = cpu_of(password_mail("typical@example.jp", "t2@bench", "typical-pw"));
    if (!typical_form.is_ok() || !typical_password.is_ok())
        return Status::internal("the typical application did not ingest");
    const double typical = typical_form.value() + typical_password.value();

    // The worst case: the most forms one sender may keep waiting, each at the highest
    // accepted spinCount, then a password that opens none of them.
    auto costly_file = encrypted(limits.max_spin_count, "right-pw");
    if (!costly_file.is_ok()) return costly_file.status();
    for (std::size_t i = 0; i < limits.max_pending_forms_per_sender; ++i) {
        if (!cpu_of(form_mail("worst@example.jp", "w" + std::to_string(i) + "@bench",
                              costly_file.value()))
                 .is_ok())
            return Status::internal("a waiting form did not ingest");
    }
    std::string worst_outcome;
    auto worst = cpu_of(password_mail("worst@example.jp", "wp@bench", "wrong-pw"), &worst_outcome);
    if (!worst.is_ok()) return worst.status();

    // A form over the bound, refused at the door before any hashing.
    auto hostile_file = encrypted(9'999'999, "pw");
    if (!hostile_file.is_ok()) return hostile_file.status();
    std::string hostile_outcome;
    auto hostile =
        cpu_of(form_mail("hostile@example.jp", "h@bench", hostile_file.value()), &hostile_outcome);
    if (!hostile.is_ok()) return hostile.status();

    const double per_hour_bound =
        worst.value() / static_cast<double>(limits.max_pending_forms_per_sender) *
        static_cast<double>(limits.max_password_tries_per_sender_per_hour);
    std::filesystem::remove_all(config.scratch);
    return nlohmann::json{{"typical_application_cpu_ms", typical},
                          {"worst_password_mail_cpu_ms", worst.value()},
                          {"worst_password_mail_outcome", worst_outcome},
                          {"worst_to_typical_ratio", worst.value() / typical},
                          {"forms_tried_by_the_worst_mail", limits.max_pending_forms_per_sender},
                          {"max_spin_count", limits.max_spin_count},
                          {"worst_cpu_per_sender_per_hour_ms", per_hour_bound},
                          {"spin_9999999_form_cpu_ms", hostile.value()},
                          {"spin_9999999_form_outcome", hostile_outcome}}
        .dump();
}

}  // namespace kakitome::bench
