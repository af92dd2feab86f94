// The IMAP poller against a real Dovecot (Debian dovecot-imapd) started here on 127.0.0.1 with a
// throwaway configuration and a Maildir loaded with the fixture mails, in their arrival
// order. Runs the real `kakitome serve --imap ... --once`.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include <rocksdb/db.h>

#include "events/database.h"
#include "events/event_store.h"
#include "fixtures.h"
#include "local_ports.h"
#include "replay/store_verifier.h"
#include "run_command.h"

namespace kakitome {
namespace {

namespace fs = std::filesystem;

// A Dovecot of our own: its own config, run and state directories, port and Maildir.
class Dovecot {
  public:
    explicit Dovecot(const fs::path& root)
        : root_(root), port_(kakitome::testing::free_tcp_port()) {
        for (const char* sub : {"run", "state", "home", "mail/new", "mail/cur", "mail/tmp"})
            fs::create_directories(root / sub);
        std::ofstream(root / "dovecot.conf")
            << "base_dir = " << (root / "run").string()
            << "\nstate_dir = " << (root / "state").string()
            << "\nlog_path = " << (root / "dovecot.log").string()
            << "\nprotocols = imap\nlisten = 127.0.0.1\nssl = no\ndisable_plaintext_auth = "
               "no\nauth_mechanisms = plain login\n"
            << "mail_location = maildir:" << (root / "mail").string() << "\nfirst_valid_uid = 1\n"
            << "passdb {\n  driver = static\n  args = password=secret\n}\n"
            << "userdb {\n  driver = static\n  args = uid=" << mail_uid() << " gid=" << mail_gid()
            << " home=" << (root / "home").string() << "\n}\n"
            << "service imap-login {\n  chroot =\n  inet_listener imap {\n    address = "
               "127.0.0.1\n    port = "
            << port_
            << "\n  }\n  inet_listener imaps {\n    port = 0\n  }\n}\nservice anvil {\n  chroot "
               "=\n}\n"
            << (::geteuid() == 0
                    ? ""
                    // Services whose sockets belong to Dovecot's group by default.
                    : "service imap-hibernate {\n  unix_listener imap-hibernate {\n    group =\n  "
                      "}\n}\nservice dict {\n  unix_listener dict {\n    group =\n  }\n}\n"
                      "service dict-async {\n  unix_listener dict-async {\n    group =\n  }\n}\n"
                      "service stats {\n  unix_listener stats-writer {\n    group =\n  }\n}\n")
            << "default_login_user = " << service_user("dovenull")
            << "\ndefault_internal_user = " << service_user("dovecot") << "\n";
    }
    ~Dovecot() { stop(); }

    // Dovecot refuses to read mail as root: root tests use nobody and Dovecot's own service
    // users; anyone else runs the whole server as themselves (no root needed).
    static unsigned mail_uid() { return ::geteuid() == 0 ? 65534u : ::geteuid(); }
    static unsigned mail_gid() { return ::geteuid() == 0 ? 65534u : ::getegid(); }
    static std::string service_user(const char* as_root) {
        if (::geteuid() == 0) return as_root;
        const passwd* entry = ::getpwuid(::geteuid());
        return entry ? entry->pw_name : "nobody";
    }

    // Delivers a mail into new/, named so Dovecot assigns UIDs in delivery order.
    void deliver(const std::string& bytes) {
        ++delivered_;
        const fs::path file = root_ / "mail/new" /
                              (std::to_string(1700000000 + delivered_) + ".M" +
                               std::to_string(delivered_) + ".kakitome");
        std::ofstream(file, std::ios::binary) << bytes;
    }
    bool start() {
        fs::permissions(root_, fs::perms::owner_all | fs::perms::group_read |
                                   fs::perms::group_exec | fs::perms::others_read |
                                   fs::perms::others_exec);
        // As root, mail is read by the mail user (nobody), never by root; otherwise everything
        // runs as the developer running the test.
        if (::geteuid() == 0 && std::system(("chown -R 65534:65534 " + (root_ / "mail").string() +
                                             " " + (root_ / "home").string())
                                                .c_str()) != 0)
            return false;
        if (std::system(("/usr/sbin/dovecot -c " + (root_ / "dovecot.conf").string()).c_str()) != 0)
            return false;
        for (int i = 0; i < 100; ++i) {
            if (kakitome::testing::port_accepts(port_)) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return false;
    }
    void stop() {
        std::ifstream pid_file(root_ / "run/master.pid");
        pid_t pid = 0;
        if (pid_file >> pid && pid > 0) {
            ::kill(pid, SIGTERM);
            for (int i = 0; i < 100 && ::kill(pid, 0) == 0; ++i)
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
    int port() const { return port_; }
    std::string url() const {
        return "imap://tester:secret@127.0.0.1:" + std::to_string(port_) + "/INBOX";
    }
    std::string log() const {
        std::ifstream in(root_ / "dovecot.log");
        return std::string(std::istreambuf_iterator<char>(in), {});
    }

  private:
    fs::path root_;
    int port_;
    int delivered_ = 0;
};

std::vector<nlohmann::json> run_serve_once(const fs::path& data, const std::string& url,
                                           int& exit_code) {
    const std::string command = std::string(KAKITOME_BINARY) + " serve --data " + data.string() +
                                " --imap " + url + " --once 2>&1";
    const std::string output = kakitome::testing::run_command(command, &exit_code);
    std::vector<nlohmann::json> lines;
    std::istringstream stream(output);
    for (std::string line; std::getline(stream, line);) {
        auto parsed = nlohmann::json::parse(line, nullptr, false);
        EXPECT_FALSE(parsed.is_discarded()) << "not JSON: " << line;
        if (!parsed.is_discarded()) lines.push_back(parsed);
    }
    return lines;
}

TEST(ImapPoller, IngestsTheMailboxOnceAndResumesAfterRestart) {
    const fs::path root =
        fs::temp_directory_path() / ("kakitome-imap-" + std::to_string(::getpid()));
    fs::remove_all(root);
    Dovecot dovecot(root / "dovecot");
    // Arrival order: pair 3's password before its form.
    const std::vector<std::string> arrival = {
        "other_subject.eml",   "pair1_form_iso2022jp.eml", "pair1_password_iso2022jp.eml",
        "pair2_form_utf8.eml", "pair2_password_utf8.eml",  "pair3_password_sjis.eml",
        "pair3_form_sjis.eml"};
    for (const auto& name : arrival) dovecot.deliver(testing::read_fixture("mail/" + name));
    ASSERT_TRUE(dovecot.start()) << dovecot.log();
    const fs::path data = root / "data";

    int exit_code = -1;
    auto first = run_serve_once(data, dovecot.url(), exit_code);
    ASSERT_EQ(exit_code, 0) << dovecot.log();
    ASSERT_EQ(first.size(), arrival.size());
    for (std::size_t i = 0; i < arrival.size(); ++i) {
        SCOPED_TRACE(arrival[i]);
        EXPECT_EQ(first[i]["uid"], i + 1);
        EXPECT_EQ(first[i]["classification"], testing::manifest()["mail"][arrival[i]]["kind"]);
    }
    EXPECT_TRUE(first[2]["paired"]);
    EXPECT_EQ(first[6]["state"], "validated");  // the form that found its held password
    EXPECT_EQ(first[6]["paired"], true);

    // A restart finds nothing new.
    EXPECT_TRUE(run_serve_once(data, dovecot.url(), exit_code).empty());
    EXPECT_EQ(exit_code, 0);

    // New mail arrives: exactly that one is fetched.
    dovecot.deliver(
        "From: someone@example.jp\r\nSubject: "
        "=?UTF-8?B?UFIg5YuV55S75Yip55So55Sz6KuL?=\r\nMessage-ID: <late@x>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nlate-password\r\n");
    auto third = run_serve_once(data, dovecot.url(), exit_code);
    ASSERT_EQ(third.size(), 1u);
    EXPECT_EQ(third[0]["uid"], 8);
    EXPECT_EQ(third[0]["classification"], "password");

    // Losing the stored position (the worst case of a crash) re-reads the mailbox but adds nothing.
    Seq head;
    {
        auto database = Database::open({.directory = data}).value();
        head = EventStore::open(database).value()->head();
    }
    {
        auto database = Database::open({.directory = data}).value();
        rocksdb::WriteOptions options;
        // The position's key: the mailbox URL without the password.
        const std::string key =
            "imap:imap://tester@127.0.0.1:" + std::to_string(dovecot.port()) + "/INBOX";
        std::string value;
        ASSERT_TRUE(database->db()->Get(rocksdb::ReadOptions(), database->meta(), key, &value).ok())
            << key;
        EXPECT_NE(value.find("\"last_uid\":8"), std::string::npos) << value;
        ASSERT_TRUE(database->db()->Delete(options, database->meta(), key).ok());
    }
    auto replayed = run_serve_once(data, dovecot.url(), exit_code);
    ASSERT_EQ(replayed.size(), 8u);
    for (const auto& line : replayed) EXPECT_EQ(line["classification"], "duplicate");
    auto database = Database::open({.directory = data, .read_only = true}).value();
    EXPECT_EQ(EventStore::open(database).value()->head(), head);
    EXPECT_TRUE(verify_store(*database).value().intact());
    dovecot.stop();
    fs::remove_all(root);
}

}  // namespace
}  // namespace kakitome
