// The two cross-checks against an independent implementation, through the real binary:
// `kakitome decrypt` reproduces the plaintext of every fixture (made by officecrypto-tool and
// checked by msoffcrypto-tool), and what `kakitome encrypt` writes decrypts with Debian's
// msoffcrypto-tool to the same bytes. Exit codes are checked too (0 ok, 2 bad file, 3 wrong
// password).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixtures.h"

namespace kakitome {
namespace {

using testing::fixtures_directory;
using testing::manifest;
using testing::read_fixture;

int run(const std::string& command) {
    const int status = std::system((command + " >/dev/null 2>&1").c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string quote(const std::string& text) {
    std::string out = "'";
    for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    return bytes.str();
}

class CrossTool : public ::testing::Test {
  protected:
    void SetUp() override {
        directory_ = std::filesystem::temp_directory_path() /
                     ("kakitome-cross-" + std::to_string(::getpid()));
        std::filesystem::create_directories(directory_);
    }
    void TearDown() override { std::filesystem::remove_all(directory_); }
    std::filesystem::path directory_;
    const std::string kakitome_ = KAKITOME_BINARY;
    const std::string msoffcrypto_ = "/usr/bin/msoffcrypto-tool";
};

TEST_F(CrossTool, KakitomeDecryptsEveryFixtureToTheSameBytes) {
    for (const auto& [name, entry] : manifest()["encrypted"].items()) {
        SCOPED_TRACE(name);
        const auto out = directory_ / "out.xlsx";
        EXPECT_EQ(
            run(kakitome_ + " decrypt --password " + quote(entry["password"]) + " " +
                quote((fixtures_directory() / "encrypted" / name).string()) + " " + out.string()),
            0);
        EXPECT_EQ(read_file(out), read_fixture(entry["plaintext"]));
        EXPECT_EQ(
            run(kakitome_ + " decrypt --password wrong " +
                quote((fixtures_directory() / "encrypted" / name).string()) + " " + out.string()),
            3);
    }
    EXPECT_EQ(run(kakitome_ + " decrypt --password x " +
                  quote((fixtures_directory() / "forms/valid_basic.xlsx").string()) + " " +
                  (directory_ / "x").string()),
              2);
}

TEST_F(CrossTool, MsoffcryptoToolDecryptsWhatKakitomeEncrypts) {
    ASSERT_TRUE(std::filesystem::exists(msoffcrypto_))
        << "python3-msoffcrypto-tool is not installed (make test installs it)";
    for (const char* method : {"", "--standard"}) {
        for (const char* form : {"forms/valid_basic.xlsx", "forms/valid_fullwidth_org.xlsx"}) {
            for (const std::string password : {"Maina2025", "申請 パスワード"}) {
                SCOPED_TRACE(std::string(form) + " " + method + " " + password);
                const auto encrypted = directory_ / "encrypted.xlsx";
                const auto decrypted = directory_ / "decrypted.xlsx";
                ASSERT_EQ(
                    run(kakitome_ + " encrypt --password " + quote(password) + " " + method + " " +
                        quote((fixtures_directory() / form).string()) + " " + encrypted.string()),
                    0);
                ASSERT_EQ(run(msoffcrypto_ + " -p " + quote(password) + " " + encrypted.string() +
                              " " + decrypted.string()),
                          0);
                EXPECT_EQ(read_file(decrypted), read_fixture(form));
            }
        }
    }
}

TEST_F(CrossTool, MsoffcryptoVerifiesTheIntegrityHmacKakitomeWrites) {
    const auto encrypted = directory_ / "encrypted.xlsx";
    ASSERT_EQ(run(kakitome_ + " encrypt --password pw " +
                  quote((fixtures_directory() / "forms/valid_basic.xlsx").string()) + " " +
                  encrypted.string()),
              0);
    const std::string script =
        "import io, msoffcrypto\n"
        "f = msoffcrypto.OfficeFile(open('" +
        encrypted.string() +
        "', 'rb'))\n"
        "f.load_key(password='pw', verify_password=True)\n"
        "f.decrypt(io.BytesIO(), verify_integrity=True)\n";
    EXPECT_EQ(run("/usr/bin/python3 -c " + quote(script)), 0);
}

}  // namespace
}  // namespace kakitome
