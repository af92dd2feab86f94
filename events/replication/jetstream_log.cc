#include "events/replication/jetstream_log.h"

#include <nats/nats.h>

#include "events/base/sha256.h"

namespace kakitome::replication {

namespace {

constexpr const char* kExpectedLastSequence = "Nats-Expected-Last-Sequence";
constexpr const char* kMessageId = "Nats-Msg-Id";
constexpr const char* kExpectedLastMessageId = "Nats-Expected-Last-Msg-Id";
constexpr std::size_t kHashBytes = 32;

void on_acknowledgement(jsCtx*, natsMsg* message, jsPubAck* ack, jsPubAckErr* error,
                        void* closure) {
    const char* expected_last = nullptr;
    std::uint64_t published = 0;
    if (natsMsgHeader_Get(message, kExpectedLastSequence, &expected_last) == NATS_OK)
        published = std::stoull(expected_last) + 1;
    auto* log = static_cast<JetStreamLog*>(closure);
    if (ack != nullptr) {
        log->note_acknowledgement(published, ack->Sequence, Status::ok());
    } else {
        const int code = error != nullptr ? static_cast<int>(error->ErrCode) : 0;
        Status status = status_from_nats(error != nullptr ? error->Err : NATS_ERR, code,
                                         "publishing seq " + std::to_string(published));
        if (error != nullptr && error->ErrText != nullptr)
            status = Status(status.code(), status.message() + ": " + error->ErrText);
        log->note_acknowledgement(published, 0, status);
    }
    natsMsg_Destroy(message);
}

}  // namespace

Result<std::unique_ptr<JetStreamLog>> JetStreamLog::open(NatsConnection& connection,
                                                         StreamOptions options) {
    std::unique_ptr<JetStreamLog> log(new JetStreamLog(connection, std::move(options)));
    jsOptions js_options;
    jsOptions_Init(&js_options);
    js_options.Wait = connection.options().timeout.count();
    js_options.PublishAsync.AckHandler = on_acknowledgement;
    js_options.PublishAsync.AckHandlerClosure = log.get();
    // A group of the store is at most a few thousand events; never stall inside one.
    js_options.PublishAsync.MaxPending = 1 << 20;
    const natsStatus status =
        natsConnection_JetStream(&log->publisher_, connection.connection(), &js_options);
    if (status != NATS_OK) return status_from_nats(status, 0, "opening JetStream");
    return log;
}

JetStreamLog::~JetStreamLog() {
    if (publisher_ != nullptr) jsCtx_Destroy(publisher_);
}

Status JetStreamLog::ensure_stream() {
    jsStreamInfo* info = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    natsStatus status =
        js_GetStreamInfo(&info, connection_.jetstream(), options_.name.c_str(), nullptr, &code);
    if (status == NATS_OK) {
        jsStreamInfo_Destroy(info);
        return Status::ok();
    }
    if (code != JSStreamNotFoundErr && status != NATS_NOT_FOUND)
        return status_from_nats(status, code, "looking up stream " + options_.name);
    jsStreamConfig config;
    jsStreamConfig_Init(&config);
    const char* subjects[] = {options_.subject.c_str()};
    config.Name = options_.name.c_str();
    config.Subjects = subjects;
    config.SubjectsLen = 1;
    config.Storage = js_FileStorage;
    config.Replicas = options_.replicas;
    config.DenyDelete = true;
    config.DenyPurge = true;
    config.Description = "kakitome's event log: message n is the event with seq n";
    code = static_cast<jsErrCode>(0);
    status = js_AddStream(&info, connection_.jetstream(), &config, nullptr, &code);
    if (status != NATS_OK)
        return status_from_nats(status, code, "creating stream " + options_.name);
    jsStreamInfo_Destroy(info);
    return Status::ok();
}

Result<Seq> JetStreamLog::last_seq() const {
    jsStreamInfo* info = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    const natsStatus status =
        js_GetStreamInfo(&info, connection_.jetstream(), options_.name.c_str(), nullptr, &code);
    if (status != NATS_OK)
        return status_from_nats(status, code, "reading the end of stream " + options_.name);
    const Seq last{info->State.LastSeq};
    jsStreamInfo_Destroy(info);
    return last;
}

Result<std::string> JetStreamLog::record_at(Seq seq) const {
    natsMsg* message = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    const natsStatus status = js_GetMsg(&message, connection_.jetstream(), options_.name.c_str(),
                                        seq.value, nullptr, &code);
    if (status == NATS_NOT_FOUND || code == JSNoMessageFoundErr)
        return Status::not_found("the replicated log has no seq " + std::to_string(seq.value));
    if (status != NATS_OK)
        return status_from_nats(status, code, "reading seq " + std::to_string(seq.value));
    std::string stored(natsMsg_GetData(message),
                       static_cast<std::size_t>(natsMsg_GetDataLength(message)));
    natsMsg_Destroy(message);
    return stored;
}

void JetStreamLog::note_acknowledgement(std::uint64_t published_seq, std::uint64_t stored_seq,
                                        const Status& error) {
    std::lock_guard lock(group_mutex_);
    if (!error.is_ok()) {
        if (group_.error.is_ok()) group_.error = error;
        return;
    }
    // A duplicate (the same Nats-Msg-Id within the window) is acknowledged at the seq it was
    // first stored at: only the seq asked for counts.
    if (stored_seq != published_seq) {
        if (group_.error.is_ok())
            group_.error = Status::conflict("seq " + std::to_string(published_seq) +
                                            " was acknowledged at stream sequence " +
                                            std::to_string(stored_seq));
        return;
    }
    ++group_.acknowledged;
}

Status JetStreamLog::publish(Seq first, const std::vector<std::string>& stored_records) {
    std::lock_guard publishing(publish_mutex_);
    {
        std::lock_guard lock(group_mutex_);
        group_ = Group{};
    }
    Status sent;
    for (std::size_t i = 0; i < stored_records.size() && sent.is_ok(); ++i) {
        const std::string& stored = stored_records[i];
        if (stored.size() <= kHashBytes) return Status::invalid_argument("a record has no hash");
        const std::uint64_t seq = first.value + i;
        natsMsg* message = nullptr;
        natsStatus status = natsMsg_Create(&message, options_.subject.c_str(), nullptr,
                                           stored.data(), static_cast<int>(stored.size()));
        const std::string expected_last = std::to_string(seq - 1);
        const std::string id =
            to_hex(reinterpret_cast<const std::uint8_t*>(stored.data()), kHashBytes);
        if (status == NATS_OK)
            status = natsMsgHeader_Set(message, kExpectedLastSequence, expected_last.c_str());
        if (status == NATS_OK) status = natsMsgHeader_Set(message, kMessageId, id.c_str());
        // The expected sequence alone does not fence a pipelined group: if its first record is
        // refused because another node wrote, the second would still find the stream at the
        // seq it expects. Each later record also names its predecessor's id, so it lands only
        // right after that record.
        const std::string previous_id =
            i == 0 ? std::string()
                   : to_hex(reinterpret_cast<const std::uint8_t*>(stored_records[i - 1].data()),
                            kHashBytes);
        if (status == NATS_OK && i > 0)
            status = natsMsgHeader_Set(message, kExpectedLastMessageId, previous_id.c_str());
        jsPubOptions options;
        jsPubOptions_Init(&options);
        options.MaxWait = connection_.options().timeout.count();
        if (status == NATS_OK && stored_records.size() == 1) {
            // One record: a plain request and reply, without the asynchronous machinery's
            // hand-off to the acknowledgement thread (a third of the latency of one append).
            jsPubAck* ack = nullptr;
            jsErrCode code = static_cast<jsErrCode>(0);
            status = js_PublishMsg(&ack, connection_.jetstream(), message, &options, &code);
            natsMsg_Destroy(message);
            const std::uint64_t stored_at = ack != nullptr ? ack->Sequence : 0;
            if (ack != nullptr) jsPubAck_Destroy(ack);
            if (status != NATS_OK)
                return status_from_nats(status, code, "publishing seq " + std::to_string(seq));
            note_acknowledgement(seq, stored_at, Status::ok());
            break;
        }
        if (status == NATS_OK) status = js_PublishMsgAsync(publisher_, &message, &options);
        natsMsg_Destroy(message);  // no-op once the client took it
        if (status != NATS_OK)
            sent = status_from_nats(status, 0, "publishing seq " + std::to_string(seq));
    }
    jsPubOptions wait;
    jsPubOptions_Init(&wait);
    wait.MaxWait = connection_.options().timeout.count();
    const natsStatus completed = js_PublishAsyncComplete(publisher_, &wait);
    if (completed != NATS_OK) {
        // What is still unanswered is abandoned: the caller re-reads the stream to learn it.
        natsMsgList pending{};
        if (js_PublishAsyncGetPendingList(&pending, publisher_) == NATS_OK)
            natsMsgList_Destroy(&pending);
        if (sent.is_ok())
            sent = status_from_nats(completed, 0, "waiting for JetStream's acknowledgements");
    }
    std::lock_guard lock(group_mutex_);
    if (!group_.error.is_ok()) return group_.error;
    if (!sent.is_ok()) return sent;
    if (group_.acknowledged != stored_records.size())
        return Status::unavailable(std::to_string(stored_records.size() - group_.acknowledged) +
                                   " of " + std::to_string(stored_records.size()) +
                                   " records were not acknowledged");
    return Status::ok();
}

Result<std::unique_ptr<LogReader>> LogReader::open(const JetStreamLog& log, Seq from) {
    std::unique_ptr<LogReader> reader(new LogReader());
    reader->expected_ = from.value;
    jsSubOptions options;
    jsSubOptions_Init(&options);
    options.Stream = log.options().name.c_str();
    options.Ordered = true;
    options.Config.DeliverPolicy = js_DeliverByStartSequence;
    options.Config.OptStartSeq = from.value;
    jsErrCode code = static_cast<jsErrCode>(0);
    const natsStatus status =
        js_SubscribeSync(&reader->subscription_, log.connection().jetstream(),
                         log.options().subject.c_str(), nullptr, &options, &code);
    if (status != NATS_OK)
        return status_from_nats(
            status, code, "reading the replicated log from seq " + std::to_string(from.value));
    return reader;
}

LogReader::~LogReader() {
    if (subscription_ != nullptr) {
        natsSubscription_Unsubscribe(subscription_);
        natsSubscription_Destroy(subscription_);
    }
}

Result<std::optional<LogRecord>> LogReader::next(std::chrono::milliseconds wait) {
    natsMsg* message = nullptr;
    const natsStatus status = natsSubscription_NextMsg(&message, subscription_, wait.count());
    if (status == NATS_TIMEOUT) return std::optional<LogRecord>{};
    if (status != NATS_OK) return status_from_nats(status, 0, "reading the replicated log");
    jsMsgMetaData* meta = nullptr;
    const natsStatus described = natsMsg_GetMetaData(&meta, message);
    if (described != NATS_OK) {
        natsMsg_Destroy(message);
        return status_from_nats(described, 0, "reading a replicated record's sequence");
    }
    LogRecord record{Seq{meta->Sequence.Stream},
                     std::string(natsMsg_GetData(message),
                                 static_cast<std::size_t>(natsMsg_GetDataLength(message)))};
    jsMsgMetaData_Destroy(meta);
    natsMsg_Destroy(message);
    if (record.seq.value != expected_)
        return Status::corruption("the replicated log skipped from seq " +
                                  std::to_string(expected_) + " to " +
                                  std::to_string(record.seq.value));
    ++expected_;
    return std::optional<LogRecord>{std::move(record)};
}

}  // namespace kakitome::replication
