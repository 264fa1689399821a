// SPDX-License-Identifier: MIT
// napload: a load generator for napindexd (issue 9, item 5). Connects many
// peers that register synthetic share lists (workload.h), times the
// registration, then measures searches of five kinds and PING round trips
// from a few search connections, the index's RSS per file, and the loop
// stall while a big peer drops. bench/README.md describes the method.
//
// One thread, non-blocking sockets and epoll: no thread per connection, so
// napload itself needs one core for 10,000 connections.

#include "protocol/common_messages.h"
#include "protocol/index_messages.h"
#include "workload.h"

#include <fmt/format.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

namespace proto = napster::protocol;
using napster::Bytes;
using napster::ByteSpan;

namespace {

std::int64_t now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

[[noreturn]] void die(const std::string& message) {
    fmt::print(stderr, "napload: {}\n", message);
    std::exit(1);
}

struct Options {
    std::string index_host = "127.0.0.1";
    std::uint16_t index_port = 0;
    napload::WorkloadOptions workload;
    int search_connections = 4;
    int in_flight = 4;
    double seconds = 10;
    int connect_window = 128;
    int index_pid = 0;
    std::string index_log;
    std::uint64_t big_peer_files = 0;
    std::uint16_t max_results = 100;
    std::string json_path;
    double registration_timeout = 600;
    std::vector<std::string> kinds; // empty: every kind
};

void usage() {
    fmt::print(
        "usage: napload --index HOST:PORT [options]\n"
        "  --peers N             peers that register files (default 10000)\n"
        "  --files N             files in all, spread over the peers (default 1000000)\n"
        "  --seed N              the workload's seed (default 1)\n"
        "  --roots               give every distinct (name, size) a random 32-byte root\n"
        "  --connect-window N    connections connecting or registering at once (default 128)\n"
        "  --search-connections K  (default 4)\n"
        "  --in-flight N         requests outstanding per search connection (default 4)\n"
        "  --seconds S           per search kind (default 10)\n"
        "  --max-results N       in each SEARCH (default 100)\n"
        "  --index-pid PID       read the index's VmRSS before and after registration\n"
        "  --index-log PATH      sum the index's 'added N files' lines after registration\n"
        "  --big-peer-files F    a peer with F files drops during PINGs (default 0: skip)\n"
        "  --registration-timeout S  (default 600)\n"
        "  --kinds LIST          only these search kinds, comma-separated, of: ping, common,\n"
        "                        rare, two, substring, miss (default all; for profiling one)\n"
        "  --json PATH           also write the figures as JSON\n");
}

Options parse_options(int argc, char** argv) {
    Options o;
    auto value = [&](int& i) -> std::string {
        if (i + 1 >= argc) die(fmt::format("{} needs a value", argv[i]));
        return argv[++i];
    };
    auto number = [&](int& i) -> std::uint64_t {
        const std::string name = argv[i];
        const std::string v = value(i);
        char* end = nullptr;
        const auto n = std::strtoull(v.c_str(), &end, 10);
        if (v.empty() || *end) die(fmt::format("{}: not a number: {}", name, v));
        return n;
    };
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--index") {
            const std::string v = value(i);
            const auto colon = v.rfind(':');
            if (colon == std::string::npos) die("--index wants HOST:PORT");
            o.index_host = v.substr(0, colon);
            o.index_port = static_cast<std::uint16_t>(std::stoul(v.substr(colon + 1)));
        } else if (a == "--peers") {
            o.workload.peers = number(i);
        } else if (a == "--files") {
            o.workload.files = number(i);
        } else if (a == "--seed") {
            o.workload.seed = number(i);
        } else if (a == "--roots") {
            o.workload.roots = true;
        } else if (a == "--connect-window") {
            o.connect_window = static_cast<int>(std::max<std::uint64_t>(1, number(i)));
        } else if (a == "--search-connections") {
            o.search_connections = static_cast<int>(std::max<std::uint64_t>(1, number(i)));
        } else if (a == "--in-flight") {
            o.in_flight = static_cast<int>(std::max<std::uint64_t>(1, number(i)));
        } else if (a == "--seconds") {
            o.seconds = std::stod(value(i));
        } else if (a == "--max-results") {
            o.max_results = static_cast<std::uint16_t>(number(i));
        } else if (a == "--index-pid") {
            o.index_pid = static_cast<int>(number(i));
        } else if (a == "--index-log") {
            o.index_log = value(i);
        } else if (a == "--big-peer-files") {
            o.big_peer_files = number(i);
        } else if (a == "--registration-timeout") {
            o.registration_timeout = std::stod(value(i));
        } else if (a == "--json") {
            o.json_path = value(i);
        } else if (a == "--kinds") {
            std::stringstream list(value(i));
            for (std::string k; std::getline(list, k, ',');) {
                static const char* const known[] = {"ping", "common", "rare", "two", "substring", "miss"};
                if (std::find(std::begin(known), std::end(known), k) == std::end(known))
                    die(fmt::format("--kinds: unknown kind {}", k));
                o.kinds.push_back(k);
            }
        } else if (a == "--help" || a == "-h") {
            usage();
            std::exit(0);
        } else {
            usage();
            die(fmt::format("unknown option {}", a));
        }
    }
    if (o.index_port == 0) die("--index HOST:PORT is required");
    if (o.workload.peers == 0) die("--peers must be at least 1");
    return o;
}

// ------------------------------------------------------------ connections

// One TCP connection to the index. Owned by the Loop's table; the fd is
// closed by Loop::close. Loop thread only (there is one thread).
struct Conn {
    int fd = -1;
    Bytes in;
    Bytes out;
    std::size_t out_pos = 0;
    bool want_write = false;
    bool open = true;
    // Called for every whole frame; the frame points into `in`.
    std::function<void(Conn&, const proto::Frame&)> on_frame;
    std::function<void(Conn&)> on_writable; // the write queue drained below refill_mark
    std::function<void(Conn&)> on_connected;
    bool connected = false;
    std::string label;
};

constexpr std::size_t refill_mark = 256 * 1024;

class Loop {
public:
    Loop() : epfd_(epoll_create1(EPOLL_CLOEXEC)) {
        if (epfd_ < 0) die(fmt::format("epoll_create1: {}", std::strerror(errno)));
    }

    Conn* connect(const sockaddr_storage& addr, socklen_t len, std::string label) {
        const int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) die(fmt::format("socket: {} (RLIMIT_NOFILE?)", std::strerror(errno)));
        const int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), len) < 0 && errno != EINPROGRESS)
            die(fmt::format("connect {}: {}", label, std::strerror(errno)));
        auto conn = std::make_unique<Conn>();
        conn->fd = fd;
        conn->label = std::move(label);
        conn->want_write = true;
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLOUT;
        ev.data.ptr = conn.get();
        epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev);
        Conn* raw = conn.get();
        conns_.emplace(raw, std::move(conn));
        return raw;
    }

    template <typename M> void send(Conn& c, const M& message) {
        proto::append_message(c.out, message);
        flush(c);
    }
    void send_bytes(Conn& c, const Bytes& bytes) {
        c.out.insert(c.out.end(), bytes.begin(), bytes.end());
        flush(c);
    }

    void close(Conn& c) {
        if (!c.open) return;
        c.open = false;
        epoll_ctl(epfd_, EPOLL_CTL_DEL, c.fd, nullptr);
        ::close(c.fd);
        closed_.push_back(&c);
    }

    // Runs until done() or the deadline (monotonic ns); false on timeout.
    bool run_until(const std::function<bool()>& done, std::int64_t deadline) {
        std::array<epoll_event, 256> events{};
        while (!done()) {
            const std::int64_t left = deadline - now_ns();
            if (left <= 0) return false;
            const int timeout_ms = static_cast<int>(std::min<std::int64_t>(left / 1'000'000 + 1, 50));
            const int n = epoll_wait(epfd_, events.data(), static_cast<int>(events.size()), timeout_ms);
            if (n < 0 && errno != EINTR) die(fmt::format("epoll_wait: {}", std::strerror(errno)));
            for (int i = 0; i < n; ++i) handle(*static_cast<Conn*>(events[i].data.ptr), events[i].events);
            reap();
            if (idle_) idle_();
        }
        return true;
    }

    // Called after every epoll round (starting new connections, timers).
    std::function<void()> idle_;
    std::uint64_t frames_received = 0;

private:
    void handle(Conn& c, std::uint32_t events) {
        if (!c.open) return;
        if (!c.connected && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
            int err = 0;
            socklen_t len = sizeof err;
            getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
            if (err) die(fmt::format("{}: connect: {}", c.label, std::strerror(err)));
            c.connected = true;
            if (c.on_connected) c.on_connected(c);
            if (!c.open) return;
        }
        if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) read(c);
        if (c.open && (events & EPOLLOUT)) flush(c);
    }

    void read(Conn& c) {
        static std::array<std::byte, 256 * 1024> buffer;
        for (;;) {
            const ssize_t n = ::read(c.fd, buffer.data(), buffer.size());
            if (n < 0) {
                if (errno == EAGAIN || errno == EINTR) return;
                die(fmt::format("{}: read: {}", c.label, std::strerror(errno)));
            }
            if (n == 0) die(fmt::format("{}: the index closed the connection", c.label));
            c.in.insert(c.in.end(), buffer.begin(), buffer.begin() + n);
            std::size_t used = 0;
            for (;;) {
                const auto parse = proto::parse_frame(ByteSpan(c.in).subspan(used));
                if (parse.status == proto::FrameStatus::need_more) break;
                if (parse.status == proto::FrameStatus::error) die(fmt::format("{}: {}", c.label, parse.error));
                ++frames_received;
                if (parse.frame.type == proto::MessageType::error) {
                    auto e = proto::decode_message<proto::ErrorMessage>(parse.frame.payload);
                    die(fmt::format("{}: the index sent ERROR {}: {}", c.label,
                                    e ? proto::error_code_name(e->code) : "?", e ? e->text : e.error().message));
                }
                if (parse.frame.type == proto::MessageType::ping) {
                    // The index's own keep-alive.
                    auto ping = proto::decode_message<proto::Ping>(parse.frame.payload);
                    if (ping) send(c, proto::Pong{ping->token});
                } else if (c.on_frame) {
                    c.on_frame(c, parse.frame);
                }
                used += parse.consumed;
                if (!c.open) return;
            }
            c.in.erase(c.in.begin(), c.in.begin() + static_cast<long>(used));
            if (static_cast<std::size_t>(n) < buffer.size()) return;
        }
    }

    void flush(Conn& c) {
        if (!c.open || !c.connected) return;
        for (;;) {
            while (c.out_pos < c.out.size()) {
                const ssize_t n = ::write(c.fd, c.out.data() + c.out_pos, c.out.size() - c.out_pos);
                if (n < 0) {
                    if (errno == EAGAIN) break;
                    if (errno == EINTR) continue;
                    die(fmt::format("{}: write: {}", c.label, std::strerror(errno)));
                }
                c.out_pos += static_cast<std::size_t>(n);
            }
            if (c.out_pos == c.out.size()) {
                c.out.clear();
                c.out_pos = 0;
            }
            // Refill while the kernel takes everything: the socket stays
            // busy without more than refill_mark queued here.
            const std::size_t queued = c.out.size() - c.out_pos;
            if (queued >= refill_mark || !c.on_writable) break;
            auto refill = c.on_writable; // may clear itself
            refill(c);
            if (!c.open) return;
            if (c.out.size() - c.out_pos == queued) break; // nothing added
            if (queued != 0) break; // the kernel is full: wait for EPOLLOUT
        }
        const bool want = c.out_pos < c.out.size();
        if (want != c.want_write) {
            c.want_write = want;
            epoll_event ev{};
            ev.events = EPOLLIN | (want ? EPOLLOUT : 0u);
            ev.data.ptr = &c;
            epoll_ctl(epfd_, EPOLL_CTL_MOD, c.fd, &ev);
        }
    }

    void reap() {
        for (Conn* c : closed_) conns_.erase(c);
        closed_.clear();
    }

    int epfd_;
    std::unordered_map<Conn*, std::unique_ptr<Conn>> conns_;
    std::vector<Conn*> closed_;
};

sockaddr_storage resolve(const std::string& host, std::uint16_t port, socklen_t& len) {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    const std::string service = std::to_string(port);
    if (int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &res); rc != 0)
        die(fmt::format("--index {}:{}: {}", host, port, gai_strerror(rc)));
    sockaddr_storage addr{};
    std::memcpy(&addr, res->ai_addr, res->ai_addrlen);
    len = res->ai_addrlen;
    freeaddrinfo(res);
    return addr;
}

// ------------------------------------------------------------ the figures

struct Samples {
    std::vector<std::int64_t> latency_ns;
    std::uint64_t hits = 0;
    std::uint64_t total_matches = 0;
    std::uint64_t wrong_total = 0; // replies whose total_matches was not the expected one
    std::uint64_t lower_bounds = 0; // replies flagged total_is_lower_bound
    std::uint32_t last_total = 0;
    std::int64_t elapsed_ns = 0;

    double percentile_us(double p) {
        if (latency_ns.empty()) return 0;
        std::sort(latency_ns.begin(), latency_ns.end());
        auto rank = static_cast<std::size_t>(p / 100.0 * static_cast<double>(latency_ns.size()));
        rank = std::min(rank, latency_ns.size() - 1);
        return static_cast<double>(latency_ns[rank]) / 1000.0;
    }
    double per_second() const {
        return elapsed_ns > 0 ? static_cast<double>(latency_ns.size()) * 1e9 / static_cast<double>(elapsed_ns) : 0;
    }
};

struct Figure {
    std::string key;
    double value;
    std::string unit;
};

class Report {
public:
    void add(std::string key, double value, std::string unit, int decimals = 0) {
        fmt::print("{:<44} {:>14.{}f} {}\n", key, value, decimals, unit);
        figures_.push_back({std::move(key), value, std::move(unit)});
        std::fflush(stdout);
    }
    void info(std::string key, std::string value) {
        fmt::print("{:<44} {}\n", key, value);
        info_.emplace_back(std::move(key), std::move(value));
        std::fflush(stdout);
    }
    void write_json(const std::string& path) const {
        std::string s = "{\n  \"info\": {";
        for (std::size_t i = 0; i < info_.size(); ++i)
            s += fmt::format("{}\n    \"{}\": \"{}\"", i ? "," : "", escape(info_[i].first), escape(info_[i].second));
        s += "\n  },\n  \"figures\": {";
        for (std::size_t i = 0; i < figures_.size(); ++i)
            s += fmt::format("{}\n    \"{}\": {{\"value\": {}, \"unit\": \"{}\"}}", i ? "," : "",
                             escape(figures_[i].key), figures_[i].value, escape(figures_[i].unit));
        s += "\n  }\n}\n";
        std::ofstream f(path);
        f << s;
        if (!f) die(fmt::format("--json {}: cannot write", path));
    }

private:
    static std::string escape(const std::string& v) {
        std::string out;
        for (char c : v) {
            if (c == '"' || c == '\\') out += '\\';
            if (static_cast<unsigned char>(c) < 0x20) continue;
            out += c;
        }
        return out;
    }
    std::vector<Figure> figures_;
    std::vector<std::pair<std::string, std::string>> info_;
};

std::string read_file(const std::string& path) {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

std::string load_average() {
    std::string s = read_file("/proc/loadavg");
    std::istringstream in(s);
    std::string a, b, c;
    in >> a >> b >> c;
    return a + " " + b + " " + c;
}

// VmRSS of a process in KiB, 0 if unreadable.
std::uint64_t vm_rss_kib(int pid) {
    std::istringstream in(read_file(fmt::format("/proc/{}/status", pid)));
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10);
    return 0;
}

std::string cpu_model() {
    std::istringstream in(read_file("/proc/cpuinfo"));
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("model name", 0) == 0) {
            auto colon = line.find(':');
            return colon == std::string::npos ? line : line.substr(colon + 2);
        }
    return "unknown";
}

// The sum of the index's "peer N (name) added K files" lines (K written
// with thousands separators).
std::uint64_t logged_added_files(const std::string& path) {
    std::istringstream in(read_file(path));
    std::string line;
    std::uint64_t total = 0;
    while (std::getline(in, line)) {
        const auto at = line.find(") added ");
        if (at == std::string::npos) continue;
        std::uint64_t k = 0;
        for (std::size_t i = at + 8; i < line.size(); ++i) {
            if (line[i] >= '0' && line[i] <= '9')
                k = k * 10 + static_cast<std::uint64_t>(line[i] - '0');
            else if (line[i] != ',')
                break;
        }
        total += k;
    }
    return total;
}

// ------------------------------------------------------------ the run

class Bench {
public:
    explicit Bench(Options options) : o_(std::move(options)), workload_(o_.workload) {
        addr_ = resolve(o_.index_host, o_.index_port, addr_len_);
    }

    int run();

private:
    // Frames the file list of files [begin, end) with file_ids from 1, in
    // batches of at most 4096 whose frames stay within 1 MiB.
    void append_batch(Bytes& out, std::uint64_t peer_first, std::uint64_t& next, std::uint64_t end) {
        proto::FilesAdd add;
        while (next < end && add.files.size() < proto::max_batch_files) {
            const napload::Content& c = workload_.file(next);
            proto::FileEntry e;
            e.file_id = next - peer_first + 1;
            e.size = c.size;
            e.name = std::string(workload_.name(c));
            e.rel_path = "music/" + e.name;
            e.root = workload_.root(workload_.file_content(next));
            add.files.push_back(std::move(e));
            ++next;
        }
        Bytes frame = proto::encode_message(add);
        if (frame.size() > proto::frame_header_size + proto::max_frame_length) {
            // Too big: send half now and the rest in later batches.
            const std::uint64_t half = add.files.size() / 2;
            next -= add.files.size() - half;
            add.files.resize(half);
            frame = proto::encode_message(add);
        }
        out.insert(out.end(), frame.begin(), frame.end());
    }

    // A connection that says HELLO and REGISTER, then calls `registered`.
    Conn* start_peer(const std::string& name, std::function<void(Conn&)> registered) {
        Conn* c = loop_.connect(addr_, addr_len_, name);
        c->on_connected = [this](Conn& conn) {
            proto::Hello hello;
            hello.channel = proto::Channel::index;
            hello.min_version = 3;
            hello.max_version = 3;
            loop_.send(conn, hello);
        };
        c->on_frame = [this, name, registered](Conn& conn, const proto::Frame& f) {
            if (f.type == proto::MessageType::welcome) {
                loop_.send(conn, proto::RegisterPeer{name, 6699});
            } else if (f.type == proto::MessageType::registered) {
                // Clearing on_frame destroys this lambda: keep what it needs.
                auto then = registered;
                conn.on_frame = nullptr;
                then(conn);
            } else {
                die(fmt::format("{}: unexpected {} during the handshake", name, proto::message_type_name(f.type)));
            }
        };
        return c;
    }

    // Registers the files [begin, end) on `c` and calls `done` when the
    // PONG sent after the last batch is back: the index handles a
    // connection's frames in order, so by then it has applied every batch.
    void send_files(Conn& c, std::uint64_t begin, std::uint64_t end, std::function<void()> done) {
        auto next = std::make_shared<std::uint64_t>(begin);
        c.on_frame = [done](Conn&, const proto::Frame& f) {
            if (f.type == proto::MessageType::pong) done();
        };
        c.on_writable = [this, begin, end, next](Conn& conn) {
            while (*next < end && conn.out.size() - conn.out_pos < refill_mark)
                append_batch(conn.out, begin, *next, end);
            if (*next >= end) {
                proto::append_message(conn.out, proto::Ping{1});
                conn.on_writable = nullptr;
            }
        };
        c.on_writable(c);
        loop_.send_bytes(c, {});
    }

    std::vector<Conn*> connect_searchers(int count);
    void search_phase(const std::string& kind, const std::string& query, std::uint64_t expected);
    void big_peer_drop();

    Options o_;
    napload::Workload workload_;
    sockaddr_storage addr_{};
    socklen_t addr_len_ = 0;
    Loop loop_;
    Report report_;
    std::vector<Conn*> searchers_;
    std::uint32_t next_request_ = 1;
};

std::vector<Conn*> Bench::connect_searchers(int count) {
    std::vector<Conn*> out;
    int ready = 0;
    for (int i = 0; i < count; ++i)
        out.push_back(start_peer(fmt::format("napload-search-{}", i), [&ready](Conn&) { ++ready; }));
    if (!loop_.run_until([&] { return ready == count; }, now_ns() + 30'000'000'000))
        die("search connections did not register within 30 s");
    return out;
}

// `in_flight` requests outstanding on every search connection for
// --seconds; the query empty means PING.
void Bench::search_phase(const std::string& kind, const std::string& query, std::uint64_t expected) {
    Samples s;
    const bool ping = query.empty();
    const std::int64_t start = now_ns();
    const std::int64_t end = start + static_cast<std::int64_t>(o_.seconds * 1e9);
    std::int64_t last_reply = start;
    std::size_t outstanding = 0;
    std::unordered_map<std::uint32_t, std::int64_t> sent;

    auto send_one = [&](Conn& c) {
        const std::uint32_t id = next_request_++;
        sent[id] = now_ns();
        ++outstanding;
        if (ping) {
            loop_.send(c, proto::Ping{id});
        } else {
            proto::Search search;
            search.request_id = id;
            search.max_results = o_.max_results;
            search.query = query;
            loop_.send(c, search);
        }
    };
    for (Conn* c : searchers_) {
        c->on_frame = [&, ping](Conn& conn, const proto::Frame& f) {
            std::uint32_t id = 0;
            if (ping && f.type == proto::MessageType::pong) {
                auto pong = proto::decode_message<proto::Pong>(f.payload);
                if (!pong) die(pong.error().message);
                id = static_cast<std::uint32_t>(pong->token);
            } else if (!ping && f.type == proto::MessageType::search_result) {
                auto r = proto::decode_message<proto::SearchResult>(f.payload);
                if (!r) die(r.error().message);
                id = r->request_id;
                s.hits += r->hits.size();
                s.total_matches += r->total_matches;
                s.last_total = r->total_matches;
                // A lower bound (the index stopped counting) is right when
                // it does not pass the true count.
                if (r->total_is_lower_bound) ++s.lower_bounds;
                if (r->total_is_lower_bound ? r->total_matches > expected : r->total_matches != expected)
                    ++s.wrong_total;
            } else {
                return;
            }
            auto it = sent.find(id);
            if (it == sent.end()) return;
            const std::int64_t t = now_ns();
            s.latency_ns.push_back(t - it->second);
            sent.erase(it);
            --outstanding;
            last_reply = t;
            if (t < end) send_one(conn);
        };
        for (int i = 0; i < o_.in_flight; ++i) send_one(*c);
    }
    if (!loop_.run_until([&] { return now_ns() >= end && outstanding == 0; }, end + 60'000'000'000))
        die(fmt::format("{}: replies still missing 60 s after the phase", kind));
    for (Conn* c : searchers_) c->on_frame = nullptr;
    s.elapsed_ns = last_reply - start;

    const double n = std::max<double>(1, static_cast<double>(s.latency_ns.size()));
    report_.add(fmt::format("{} replies", kind), static_cast<double>(s.latency_ns.size()), "", 0);
    report_.add(fmt::format("{} per second", kind), s.per_second(), "/s", 0);
    report_.add(fmt::format("{} p50", kind), s.percentile_us(50), "us", 0);
    report_.add(fmt::format("{} p99", kind), s.percentile_us(99), "us", 0);
    report_.add(fmt::format("{} p99.9", kind), s.percentile_us(99.9), "us", 0);
    if (!ping) {
        report_.add(fmt::format("{} mean hits", kind), static_cast<double>(s.hits) / n, "", 1);
        report_.add(fmt::format("{} mean total_matches", kind), static_cast<double>(s.total_matches) / n, "", 1);
        report_.add(fmt::format("{} expected total_matches", kind), static_cast<double>(expected), "", 0);
        report_.add(fmt::format("{} replies with a lower bound", kind), static_cast<double>(s.lower_bounds), "", 0);
        if (s.wrong_total)
            report_.info(fmt::format("{} WARNING", kind),
                         fmt::format("{} of {} replies had total_matches != {} (last {})", s.wrong_total,
                                     s.latency_ns.size(), expected, s.last_total));
    }
}

// A peer with --big-peer-files files registers; one search connection
// sends PINGs back to back (one in flight) while another searches for the
// big peer's word every 10 ms; the big peer closes; we report the longest
// PING round trip in the 2 s after the close and when the word stops
// matching.
void Bench::big_peer_drop() {
    const std::uint64_t first = workload_.big_peer_end();
    workload_.add_big_peer(o_.big_peer_files, o_.workload.seed);
    const std::uint64_t last = workload_.big_peer_end();
    const std::uint64_t expected = workload_.expected_matches(std::string(napload::big_peer_word));

    // The loop's worst stall under mixed load: connection 0 sends PINGs
    // back to back (one in flight) through the big peer's registration, a
    // pause and its drop, while connection 2 (when there is one) keeps
    // common-word searches in flight the whole time; connection 1 polls
    // for the big peer's word.
    Conn& pinger = *searchers_.at(0);
    Conn& searcher = *searchers_.at(searchers_.size() > 1 ? 1 : 0);
    Conn* mixer = searchers_.size() > 2 ? searchers_[2] : nullptr;
    const std::string word(napload::big_peer_word);
    enum class Phase { registering, before_drop, after_drop, done } phase = Phase::registering;
    std::int64_t ping_sent = 0, close_at = 0, gone_at = 0, next_search = 0;
    std::int64_t max_registering = 0, max_before = 0, max_after = 0;
    std::uint32_t search_id = 0;
    bool search_pending = false;
    std::uint64_t seen_before = 0, mixed_searches = 0;

    auto send_ping = [&] {
        ping_sent = now_ns();
        loop_.send(pinger, proto::Ping{++next_request_});
    };
    pinger.on_frame = [&](Conn&, const proto::Frame& f) {
        if (f.type != proto::MessageType::pong) return;
        const std::int64_t t = now_ns();
        const std::int64_t rtt = t - ping_sent;
        if (phase == Phase::registering) max_registering = std::max(max_registering, rtt);
        if (phase == Phase::before_drop) max_before = std::max(max_before, rtt);
        if (phase == Phase::after_drop && t <= close_at + 2'000'000'000) max_after = std::max(max_after, rtt);
        if (phase == Phase::after_drop && t > close_at + 2'000'000'000) phase = Phase::done;
        if (phase != Phase::done) send_ping();
        else ping_sent = 0;
    };
    auto send_search = [&] {
        proto::Search s;
        s.request_id = search_id = next_request_++;
        s.max_results = 1;
        s.query = word;
        search_pending = true;
        loop_.send(searcher, s);
    };
    searcher.on_frame = [&](Conn&, const proto::Frame& f) {
        if (f.type != proto::MessageType::search_result) return;
        auto r = proto::decode_message<proto::SearchResult>(f.payload);
        if (!r || r->request_id != search_id) return;
        search_pending = false;
        if (close_at == 0) {
            seen_before = r->total_matches;
        } else if (r->total_matches == 0 && gone_at == 0) {
            gone_at = now_ns();
        }
        next_search = now_ns() + 10'000'000;
    };
    std::size_t mixer_outstanding = 0;
    auto send_mixed = [&] {
        proto::Search s;
        s.request_id = next_request_++;
        s.max_results = o_.max_results;
        s.query = std::string(napload::common_word);
        ++mixer_outstanding;
        loop_.send(*mixer, s);
    };
    if (mixer) {
        mixer->on_frame = [&](Conn&, const proto::Frame& f) {
            if (f.type != proto::MessageType::search_result) return;
            --mixer_outstanding;
            ++mixed_searches;
            if (phase != Phase::done) send_mixed();
        };
        for (int i = 0; i < o_.in_flight; ++i) send_mixed();
    }
    loop_.idle_ = [&] {
        if (phase == Phase::registering || search_pending || now_ns() < next_search) return;
        if (close_at == 0 ? seen_before == 0 : gone_at == 0) send_search();
    };
    send_ping();

    bool registered = false;
    const std::int64_t t0 = now_ns();
    std::int64_t t_registered = 0;
    Conn* big = start_peer("napload-big", [&](Conn& c) {
        send_files(c, first, last, [&] {
            registered = true;
            t_registered = now_ns();
        });
    });
    if (!loop_.run_until([&] { return registered; }, t0 + static_cast<std::int64_t>(o_.registration_timeout * 1e9)))
        die("the big peer did not register in time");
    report_.add("big peer registered", static_cast<double>(t_registered - t0) / 1e6, "ms", 1);
    phase = Phase::before_drop;
    // Half a second of PINGs before the close: the loop's usual round trip.
    loop_.run_until([] { return false; }, now_ns() + 500'000'000);
    loop_.run_until([&] { return !search_pending && seen_before > 0; }, now_ns() + 30'000'000'000);
    close_at = now_ns();
    phase = Phase::after_drop;
    loop_.close(*big);
    const bool ok = loop_.run_until(
        [&] { return gone_at != 0 && phase == Phase::done && ping_sent == 0 && !search_pending && mixer_outstanding == 0; },
        close_at + 120'000'000'000);
    loop_.idle_ = nullptr;
    pinger.on_frame = nullptr;
    searcher.on_frame = nullptr;
    if (mixer) mixer->on_frame = nullptr;
    report_.add("big peer files", static_cast<double>(o_.big_peer_files), "", 0);
    report_.add("big peer word total_matches before (expected)", static_cast<double>(expected), "", 0);
    report_.add("big peer word total_matches before", static_cast<double>(seen_before), "", 0);
    if (mixer)
        report_.add(fmt::format("common-word searches meanwhile ({} in flight)", o_.in_flight),
                    static_cast<double>(mixed_searches), "", 0);
    report_.add("max PING round trip while it registered", static_cast<double>(max_registering) / 1000.0, "us", 0);
    report_.add("max PING round trip, 0.5 s before the drop", static_cast<double>(max_before) / 1000.0, "us", 0);
    report_.add("max PING round trip, 2 s after the drop", static_cast<double>(max_after) / 1000.0, "us", 0);
    if (ok)
        report_.add("big peer's files gone from search after", static_cast<double>(gone_at - close_at) / 1e6, "ms", 1);
    else
        report_.info("big peer's files gone from search after", "not within 120 s");
}

int Bench::run() {
    rlimit rl{};
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    const std::uint64_t needed = o_.workload.peers + static_cast<std::uint64_t>(o_.search_connections) + 64;
    if (rl.rlim_cur < needed)
        die(fmt::format("RLIMIT_NOFILE hard limit is {}, {} peers need about {}", rl.rlim_max, o_.workload.peers,
                        needed));

    utsname un{};
    uname(&un);
    report_.info("machine", fmt::format("{} cores ({}), Linux {}", sysconf(_SC_NPROCESSORS_ONLN), cpu_model(),
                                        un.release));
    report_.info("load average at start", load_average());
    report_.info("workload", fmt::format("{} peers, {} files, seed {}, roots {}", o_.workload.peers,
                                         o_.workload.files, o_.workload.seed, o_.workload.roots ? "yes" : "no"));
    report_.add("distinct contents", static_cast<double>(workload_.content_count()), "", 0);
    report_.add("mean name length", workload_.mean_name_length(), "bytes", 1);
    report_.add("files with the common word", 100.0 * static_cast<double>(workload_.files_matching(napload::common_word)) /
                                                  std::max<double>(1, static_cast<double>(workload_.file_count())),
                "%", 1);

    struct Kind {
        std::string option, name, query;
        std::uint64_t expected = 0;
    };
    std::vector<Kind> kinds{
        {"ping", "ping", ""},
        {"common", "common word", std::string(napload::common_word)},
        {"rare", "rare word", std::string(napload::rare_word)},
        {"two", "two words", fmt::format("{} {}", napload::common_word, napload::second_word)},
        {"substring", "substring", std::string(napload::substring_query)},
        {"miss", "miss", std::string(napload::miss_word)},
    };
    for (auto& k : kinds)
        if (!k.query.empty()) k.expected = workload_.expected_matches(k.query);

    const std::uint64_t rss_before = o_.index_pid ? vm_rss_kib(o_.index_pid) : 0;

    // Registration: at most connect_window connections between connect()
    // and REGISTERED, the rest wait their turn.
    const std::uint64_t peers = workload_.peer_count();
    std::uint64_t started = 0, handshaking = 0, done = 0;
    const std::int64_t t0 = now_ns();
    std::int64_t t_all_pongs = 0;
    auto start_more = [&] {
        while (started < peers && handshaking < static_cast<std::uint64_t>(o_.connect_window)) {
            const std::uint64_t p = started++;
            ++handshaking;
            start_peer(fmt::format("napload-{:05}", p), [&, p](Conn& c) {
                --handshaking;
                send_files(c, workload_.peer_file_begin(p), workload_.peer_file_end(p), [&] {
                    if (++done == peers) t_all_pongs = now_ns();
                });
            });
        }
    };
    loop_.idle_ = start_more;
    start_more();
    if (!loop_.run_until([&] { return done == peers; },
                         t0 + static_cast<std::int64_t>(o_.registration_timeout * 1e9)))
        die(fmt::format("registration: {} of {} peers done after {} s", done, peers, o_.registration_timeout));
    loop_.idle_ = nullptr;

    // Confirmation by search: the rare word's total_matches must be what
    // the workload says (the common word's is only counted up to the
    // index's limits.max_counted_matches; the rare word's names are spread
    // over the peers, so they arrive with the last batches too).
    searchers_ = connect_searchers(o_.search_connections);
    const Kind& check = kinds[2];
    std::uint32_t seen = 0;
    bool pending = false;
    const std::int64_t confirm_deadline = now_ns() + 10'000'000'000;
    std::int64_t t_confirmed = 0;
    searchers_[0]->on_frame = [&](Conn&, const proto::Frame& f) {
        if (f.type != proto::MessageType::search_result) return;
        auto r = proto::decode_message<proto::SearchResult>(f.payload);
        if (!r) die(r.error().message);
        pending = false;
        seen = r->total_matches;
        if (seen >= check.expected) t_confirmed = now_ns();
    };
    loop_.idle_ = [&] {
        if (!pending && t_confirmed == 0) {
            proto::Search s;
            s.request_id = next_request_++;
            s.max_results = 1;
            s.query = check.query;
            pending = true;
            loop_.send(*searchers_[0], s);
        }
    };
    loop_.run_until([&] { return t_confirmed != 0 && !pending; }, confirm_deadline);
    loop_.idle_ = nullptr;
    searchers_[0]->on_frame = nullptr;

    report_.add("registration, all peers (PONG after last batch)", static_cast<double>(t_all_pongs - t0) / 1e6, "ms",
                1);
    if (t_confirmed)
        report_.add("registration confirmed by search", static_cast<double>(t_confirmed - t0) / 1e6, "ms", 1);
    else
        report_.info("registration confirmed by search",
                     fmt::format("NO: rare word total_matches {} of {} after 10 s", seen, check.expected));
    report_.add("registration per file", static_cast<double>(t_all_pongs - t0) / 1e3 /
                                             std::max<double>(1, static_cast<double>(workload_.file_count())),
                "us", 2);
    if (o_.index_pid) {
        const std::uint64_t rss_after = vm_rss_kib(o_.index_pid);
        report_.add("index VmRSS before", static_cast<double>(rss_before), "KiB", 0);
        report_.add("index VmRSS after registration", static_cast<double>(rss_after), "KiB", 0);
        report_.add("index RSS per file", (static_cast<double>(rss_after) - static_cast<double>(rss_before)) * 1024.0 /
                                              std::max<double>(1, static_cast<double>(workload_.file_count())),
                    "bytes", 0);
    }
    if (!o_.index_log.empty())
        report_.add("files the index logged as added", static_cast<double>(logged_added_files(o_.index_log)), "", 0);

    for (const auto& k : kinds)
        if (o_.kinds.empty() || std::find(o_.kinds.begin(), o_.kinds.end(), k.option) != o_.kinds.end())
            search_phase(k.name, k.query, k.expected);

    if (o_.big_peer_files) big_peer_drop();

    report_.info("load average at end", load_average());
    if (!o_.json_path.empty()) report_.write_json(o_.json_path);
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);
    Bench bench(parse_options(argc, argv));
    return bench.run();
}
