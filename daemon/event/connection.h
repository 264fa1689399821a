// SPDX-License-Identifier: MIT
#pragma once

// One stream socket (TCP or Unix) carrying napster frames. It reads, splits
// frames with the pure frame codec and hands each to its handler; it queues
// writes with a bound, so a peer that reads too slowly is dropped instead of
// growing our memory.
//
// Ownership: a Connection owns its libuv handle and lives in the heap block
// that uv_close's callback frees. Call close(); the handler's on_closed runs
// once, from that callback, and after it the Connection is gone. Loop thread
// only.

#include "protocol/frame_codec.h"
#include "protocol/message_codec.h"
#include "util/owned_fd.h"

#include <uv.h>

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace napster {

class Connection {
public:
    class Handler {
    public:
        virtual void on_frame(Connection& connection, const protocol::Frame& frame) = 0;
        // Raw mode only: bytes outside any frame (the body after GET_OK).
        virtual void on_raw(Connection&, ByteSpan) {}
        // Raw mode only: room of the handler's own where the next read may
        // land, so on_raw gets bytes already in place (its span then starts
        // at this room) and nothing is copied. Empty: the connection's
        // shared buffer, and on_raw copies.
        virtual std::span<std::byte> raw_room(Connection&) { return {}; }
        // The write queue fell to the low-water mark or below (0 unless
        // set_low_water said otherwise): producers that pace themselves send
        // their next part from here. With a file body (send_file), also
        // when its bytes have gone up to the limit allowed, or all of them.
        virtual void on_drained(Connection&) {}
        // The last call; the Connection is freed right after it returns.
        virtual void on_closed(Connection& connection, const std::string& reason) = 0;

    protected:
        ~Handler() = default;
    };

    enum class Kind { tcp, pipe };

    // The handle is initialised, not yet connected: pass stream() to
    // uv_accept or uv_tcp_connect.
    static Connection* create(uv_loop_t* loop, Kind kind);

    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&handle_); }
    uv_handle_t* handle() { return reinterpret_cast<uv_handle_t*>(&handle_); }

    void set_handler(Handler* handler) { handler_ = handler; }
    void set_write_limit(std::size_t bytes) { write_limit_ = bytes; }
    void set_low_water(std::size_t bytes) { low_water_ = bytes; }
    void start_reading();
    void pause_reading();

    // Bytes after the current frame are raw (see Handler::on_raw) from now on.
    void set_raw_mode() { raw_mode_ = true; }

    // Queues bytes; closes the connection if the queue passes its limit.
    void send(Bytes bytes);
    template <typename M> void send_message(const M& message) {
        send(protocol::encode_message(message));
    }
    // The raw body of a file, zero-copy: once every queued write is out,
    // `length` bytes of `file` from `offset` on go from the page cache to
    // the socket by non-blocking sendfile(2) whenever the socket has room,
    // but never past `allowed_end` (a file offset; raised by
    // allow_file_until): the producer's window, the bytes it has had read
    // into the page cache and checked, so the loop never waits on the
    // disk, and its rate limit. At most max_file_bytes_per_turn go in one
    // loop turn. Nothing may be sent after it: bytes queued later go
    // nowhere. A file that ends early closes the connection. Reading
    // must be paused. The descriptor stays the caller's: keep it open
    // until on_closed.
    void send_file(int file, std::uint64_t offset, std::uint64_t length, std::uint64_t allowed_end);
    void allow_file_until(std::uint64_t end);
    // Of the file body: bytes handed to the socket, and whether all were.
    std::uint64_t file_bytes_sent() const;
    bool file_sent() const;
    static constexpr std::uint64_t max_file_bytes_per_turn = 8 * 1024 * 1024;

    // Sends the error as a wire ERROR, stops reading and closes once it has
    // been written.
    void fail(const Error& error);
    // Stops reading; closes once everything queued has been written.
    void close_after_writes(const std::string& reason);
    void close(const std::string& reason);

    // Closed or closing: nothing sent now would be written.
    bool closing() const { return closing_ || close_when_drained_; }
    std::size_t pending_write_bytes() const { return pending_write_bytes_; }

    // "address:port" of the other end for TCP, "local" for Unix sockets.
    std::string remote_endpoint() const;
    // The other end's IP literal, empty for Unix sockets.
    std::string remote_address() const;
    // This end's address (getsockname) for TCP; nothing for Unix sockets.
    std::optional<sockaddr_storage> local_socket_address() const;
    // Unix sockets only: descriptors the other end sent (SCM_RIGHTS) with
    // the bytes read so far, oldest first. A descriptor comes with the
    // first byte of the sendmsg that carried it, so it is here by the time
    // the frame that starts with that byte is handed on. At most
    // max_received_fds wait; one more closes the connection.
    static constexpr std::size_t max_received_fds = 4;
    std::size_t received_fd_count() const { return received_fds_.size(); }
    OwnedFd take_received_fd();
    void close_received_fds() { received_fds_.clear(); }

    // SO_PEERCRED of a Unix peer (pid, uid, gid at connect time).
    std::optional<ucred> peer_credentials() const;
    // SO_PEERGROUPS of a Unix peer: its supplementary groups at connect
    // time, as the kernel recorded them (no /proc, so no race with the
    // pid being reused); nothing for TCP or when the kernel cannot say.
    std::optional<std::vector<gid_t>> peer_groups() const;

private:
    struct FileBody;

    explicit Connection(Kind kind);
    ~Connection();

    static void on_alloc(uv_handle_t* handle, std::size_t suggested, uv_buf_t* buf);
    static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
    static void on_write(uv_write_t* req, int status);
    static void on_close(uv_handle_t* handle);
    static void on_file_writable(uv_poll_t* poll, int status, int events);
    static void on_file_poll_closed(uv_handle_t* handle);
    void start_file_body();
    void pump_file();
    void close_file_body();
    void handle_closed();
    // Hands `data`'s frames (or raw bytes) to the handler; returns how many
    // bytes it used.
    std::size_t consume(ByteSpan data);
    void consume_input();
    // Moves the descriptors libuv received into received_fds_; false (and
    // the connection closing) when there are too many.
    bool collect_received_fds();

    union {
        uv_tcp_t tcp;
        uv_pipe_t pipe;
    } handle_{};
    Kind kind_;
    Handler* handler_ = nullptr;
    Bytes input_; // an unfinished frame, or bytes a paused handler left
    std::size_t input_start_ = 0;
    std::size_t write_limit_ = 16 * 1024 * 1024;
    std::size_t low_water_ = 0;
    std::size_t pending_write_bytes_ = 0;
    bool raw_mode_ = false;
    bool reading_ = false;
    bool consuming_ = false;
    bool closing_ = false;
    bool close_when_drained_ = false;
    std::string close_reason_;
    std::unique_ptr<FileBody> body_;
    std::vector<OwnedFd> received_fds_;
    int open_handles_ = 1; // the stream, and the file body's poll while it has one
};

} // namespace napster
