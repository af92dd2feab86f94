#include "events/replication/nats_connection.h"

#include <nats/nats.h>

#include <string_view>

namespace kakitome::replication {

Status status_from_nats(int nats_status, int jetstream_error, const std::string& what) {
    const auto status = static_cast<natsStatus>(nats_status);
    std::string text = what + ": " + natsStatus_GetText(status);
    if (jetstream_error != 0) text += " (JetStream error " + std::to_string(jetstream_error) + ")";
    if (jetstream_error == JSStreamWrongLastSequenceErr) return Status::conflict(text);
    switch (status) {
        case NATS_TIMEOUT:
        case NATS_NO_SERVER:
        case NATS_CONNECTION_CLOSED:
        case NATS_CONNECTION_DISCONNECTED:
        case NATS_STALE_CONNECTION:
        case NATS_NO_RESPONDERS:
        case NATS_IO_ERROR:
            return Status::unavailable(text);
        default:
            break;
    }
    // JetStream "not enabled" is a server still starting; "store failed" a stream without quorum.
    if (jetstream_error == JSClusterNotAvailErr || jetstream_error == JSClusterNoPeersErr ||
        jetstream_error == JSNotEnabledErr || jetstream_error == JSStreamStoreFailedErr)
        return Status::unavailable(text);
    return Status::internal(text);
}

std::string last_error_words() {
    const char* last = nats_GetLastError(nullptr);
    std::string_view said = last != nullptr ? last : "";
    if (const auto prefix = said.find("): "); said.starts_with('(') && prefix != said.npos)
        said.remove_prefix(prefix + 3);
    return std::string(said);
}

bool key_value_compare_and_set_failed(int nats_status) {
    return static_cast<natsStatus>(nats_status) == NATS_ERR &&
           last_error_words().find("wrong last sequence") != std::string::npos;
}

Result<std::unique_ptr<NatsConnection>> NatsConnection::connect(const NatsOptions& options) {
    if (options.servers.empty())
        return Status::invalid_argument("replication needs at least one NATS server URL");
    std::unique_ptr<NatsConnection> made(new NatsConnection(options));
    natsOptions* nats_options = nullptr;
    natsStatus status = natsOptions_Create(&nats_options);
    std::vector<const char*> servers;
    for (const auto& server : options.servers) servers.push_back(server.c_str());
    if (status == NATS_OK)
        status =
            natsOptions_SetServers(nats_options, servers.data(), static_cast<int>(servers.size()));
    if (status == NATS_OK) status = natsOptions_SetName(nats_options, options.client_name.c_str());
    if (status == NATS_OK) status = natsOptions_SetTimeout(nats_options, options.timeout.count());
    // Reconnect for ever, quickly: a node of the cluster restarting is routine.
    if (status == NATS_OK) status = natsOptions_SetMaxReconnect(nats_options, -1);
    if (status == NATS_OK) status = natsOptions_SetReconnectWait(nats_options, 100);
    // Write each publish at once instead of leaving it to the client's flusher thread: an
    // append waits for its acknowledgement, so a buffered publish is latency added to every one.
    if (status == NATS_OK) status = natsOptions_SetSendAsap(nats_options, true);
    if (status == NATS_OK) status = natsConnection_Connect(&made->connection_, nats_options);
    natsOptions_Destroy(nats_options);
    if (status != NATS_OK) return status_from_nats(status, 0, "connecting to NATS");
    jsOptions js_options;
    jsOptions_Init(&js_options);
    js_options.Wait = options.timeout.count();
    status = natsConnection_JetStream(&made->jetstream_, made->connection_, &js_options);
    if (status != NATS_OK) return status_from_nats(status, 0, "opening JetStream");
    return made;
}

NatsConnection::~NatsConnection() {
    if (jetstream_ != nullptr) jsCtx_Destroy(jetstream_);
    if (connection_ != nullptr) {
        natsConnection_Close(connection_);
        natsConnection_Destroy(connection_);
    }
}

}  // namespace kakitome::replication
