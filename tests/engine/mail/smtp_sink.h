// A real SMTP server for tests: Debian's python3-aiosmtpd on 127.0.0.1, writing every mail it
// accepts into a Maildir. Started and stopped (or killed) by the test itself.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "local_ports.h"

namespace kakitome::testing {

class SmtpSink {
  public:
    SmtpSink(std::filesystem::path maildir, int port) : maildir_(std::move(maildir)), port_(port) {}
    ~SmtpSink() { kill(); }

    bool start() {
        pid_ = ::fork();
        if (pid_ == 0) {
            ::setpgid(0, 0);
            const std::string listen = "127.0.0.1:" + std::to_string(port_);
            ::execl("/usr/bin/python3", "python3", "-m", "aiosmtpd", "-n", "-l", listen.c_str(),
                    "-c", "aiosmtpd.handlers.Mailbox", maildir_.c_str(),
                    static_cast<char*>(nullptr));
            ::_exit(127);
        }
        for (int i = 0; i < 200; ++i) {
            if (port_accepts(port_)) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return false;
    }
    void kill() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }
    std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }
    // The mails received so far (Maildir new/), as raw bytes.
    std::vector<std::string> received() const {
        std::vector<std::string> mails;
        const auto directory = maildir_ / "new";
        if (!std::filesystem::exists(directory)) return mails;
        for (const auto& entry : std::filesystem::directory_iterator(directory)) {
            std::ifstream in(entry.path(), std::ios::binary);
            std::stringstream bytes;
            bytes << in.rdbuf();
            mails.push_back(bytes.str());
        }
        return mails;
    }
    std::size_t count() const {
        const auto directory = maildir_ / "new";
        if (!std::filesystem::exists(directory)) return 0;
        return static_cast<std::size_t>(
            std::distance(std::filesystem::directory_iterator(directory), {}));
    }

  private:
    std::filesystem::path maildir_;
    int port_;
    pid_t pid_ = -1;
};

}  // namespace kakitome::testing
