// SPDX-License-Identifier: MIT
#pragma once

// One upload: HELLO, GET, then the file. The file is looked up by the id
// the index listed, must still be a regular file inside its share root
// (resolved with realpath on the thread pool, so a symlink swapped in since
// the scan cannot lead outside), and is read in chunks on the thread pool.
//
// Ownership: owned by UploadServer; does not own the Connection. Loop
// thread only.

#include "event/connection.h"
#include "protocol/transfer_messages.h"

#include <uv.h>

#include <cstdint>
#include <string>

namespace napster {

class UploadServer;

class UploadSession final : public Connection::Handler {
public:
    UploadSession(UploadServer& server, Connection* connection);

    void on_frame(Connection& connection, const protocol::Frame& frame) override;
    void on_drained(Connection& connection) override;
    void on_closed(Connection& connection, const std::string& reason) override;
    void close(const std::string& reason);

private:
    void handle_get(const protocol::Frame& frame);
    void opened();
    void read_next();
    void read_done(ssize_t result);
    void refuse(protocol::ErrorCode code, const std::string& text);
    void maybe_finished();

    UploadServer& server_;
    Connection* connection_;
    bool hello_done_ = false;
    bool get_done_ = false;
    protocol::Get request_;
    std::string path_;
    std::string root_;
    uv_fs_t fs_req_{};
    bool fs_busy_ = false;
    uv_file file_ = -1;
    std::uint64_t size_ = 0;
    std::uint64_t offset_ = 0;
    std::uint64_t sent_ = 0;
    std::uint64_t to_send_ = 0;
    Bytes chunk_;
    bool reading_ = false;
    bool closed_ = false;
    std::string outcome_;
    std::string who_;
};

} // namespace napster
