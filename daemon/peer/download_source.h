// SPDX-License-Identifier: MIT
#pragma once

// One holder a Download pulls from. A transfer connection carries one GET
// (napster-protocol(7)), so a source makes one connection per range: it
// connects, says HELLO, asks for the block hashes when its download has
// none yet, sends GET for the range its download names and hands the raw
// bytes that follow to the download, which writes and checks them.
//
// The source does no file I/O and decides nothing about blocks: it only
// moves bytes between one connection and its download, and applies the
// per-connection limits (connect timeout, 30 s of silence,
// download.min_rate).
//
// Ownership: its Download owns it and outlives every connection it makes;
// the source owns its connector, its timers and its connection (closed
// through close(); on_closed reports to the download as its last act).
// Loop thread only.

#include "event/connection.h"
#include "event/connector.h"
#include "event/timer.h"
#include "protocol/index_messages.h"
#include "protocol/transfer_messages.h"

#include <cstdint>
#include <string>

namespace napster {

class Download;

class DownloadSource final : public Connection::Handler {
public:
    // idle: no connection. hashes: GET_HASHES sent. get: GET sent. body:
    // GET_OK taken, raw bytes coming.
    enum class Stage { idle, connecting, hello, hashes, get, body };

    DownloadSource(Download& download, const protocol::Holder& holder, std::size_t id);
    ~DownloadSource();
    DownloadSource(const DownloadSource&) = delete;
    DownloadSource& operator=(const DownloadSource&) = delete;

    // Connects; once the holder has said WELCOME, the download's
    // source_ready() says what to ask for.
    void connect();
    void ask_hashes(const protocol::RootHash& root, std::uint64_t first, std::uint32_t count);
    // GET for `length` bytes from `offset` (0: to the end).
    void get(const protocol::RootHash& root, std::uint64_t offset, std::uint64_t length);
    // Ends the connection or the connect under way; on_closed, or at once
    // source_closed() when there is no connection, tells the download.
    void close(const std::string& reason);
    void pause_reading();
    void resume_reading();

    const protocol::Holder& holder() const { return holder_; }
    std::size_t id() const { return id_; }
    Stage stage() const { return stage_; }
    bool active() const { return stage_ != Stage::idle; }
    // The current GET: where its bytes start, how many GET_OK announced,
    // how many came.
    std::uint64_t offset() const { return offset_; }
    std::uint64_t length() const { return length_; }
    std::uint64_t received() const { return received_; }
    // "peer 7 (mallory)"
    std::string text() const;

    void on_frame(Connection& connection, const protocol::Frame& frame) override;
    void on_raw(Connection& connection, ByteSpan bytes) override;
    std::span<std::byte> raw_room(Connection& connection) override;
    void on_closed(Connection& connection, const std::string& reason) override;

private:
    void connected(Result<Connection*> connection);
    void handle_get_ok(const protocol::Frame& frame);
    void restart_stall_timer();
    void check_rate();
    void ended(const std::string& reason, bool busy_answer);

    Download& download_;
    protocol::Holder holder_;
    std::size_t id_;
    Connector connector_;
    Timer stall_timer_;
    Timer rate_timer_;
    Connection* connection_ = nullptr;
    Stage stage_ = Stage::idle;
    std::uint64_t offset_ = 0;
    std::uint64_t asked_length_ = 0; // 0: to the end
    std::uint64_t length_ = 0;
    std::uint64_t received_ = 0;
    bool busy_answer_ = false;
    std::uint64_t rate_window_ms_ = 0;
    std::uint64_t rate_window_bytes_ = 0;
};

} // namespace napster
