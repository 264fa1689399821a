// SPDX-License-Identifier: MIT
// Writes the seed corpora of the wire-codec fuzz targets from the codecs
// themselves: valid messages of every type, as frames, and frame streams
// for fuzz_frame. Run once and commit what it writes:
//   build-fuzz/tests/fuzz/make_corpus tests/fuzz/corpus
// (fuzz_config's seeds are TOML files, kept by hand.)
#include "protocol/common_messages.h"
#include "protocol/control_messages.h"
#include "protocol/transfer_list_messages.h"
#include "protocol/index_messages.h"
#include "protocol/reload_messages.h"
#include "protocol/transfer_messages.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <vector>

using namespace napster;
using namespace napster::protocol;

namespace {

namespace fs = std::filesystem;

class CorpusWriter {
public:
    CorpusWriter(const fs::path& root, const std::string& target) : dir_(root / target) {
        fs::create_directories(dir_);
    }

    void write(const std::string& name, const Bytes& bytes) {
        std::ofstream out(dir_ / name, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(bytes.data()),
                  static_cast<std::streamsize>(bytes.size()));
        if (!out) {
            std::fprintf(stderr, "cannot write %s\n", (dir_ / name).c_str());
            std::exit(1);
        }
    }

    // A seed must decode to what was encoded: one the codec refuses would
    // start the fuzzer off outside the message it is named for.
    template <typename M> void message(const std::string& name, const M& m) {
        Bytes frame = encode_message(m);
        Result<M> back = decode_message<M>(ByteSpan(frame).subspan(frame_header_size));
        if (!back || !(*back == m)) {
            std::fprintf(stderr, "seed %s does not decode to itself: %s\n", name.c_str(),
                         back ? "another value" : back.error().message.c_str());
            std::exit(1);
        }
        write(name, frame);
    }

private:
    fs::path dir_;
};

// A root whose bytes count up from `first`, as the unit tests' test_root().
content::Digest root_of(std::uint8_t first) {
    content::Digest root{};
    for (std::size_t i = 0; i < root.size(); ++i)
        root[i] = std::byte{static_cast<std::uint8_t>(first + i)};
    return root;
}

FileEntry file(std::uint64_t id, std::string rel_path, std::uint64_t size,
               RootHash root = std::nullopt) {
    std::string name = rel_path.substr(rel_path.rfind('/') + 1);
    return FileEntry{id, size, std::move(name), std::move(rel_path), root};
}

// A holder whose name for the file is `name`.
Holder holder(std::uint32_t id, std::string address, std::string name) {
    return Holder{id,
                  "peer" + std::to_string(id),
                  std::move(address),
                  static_cast<std::uint16_t>(6020 + id),
                  100 + id,
                  std::move(name)};
}

void common_messages(const fs::path& root) {
    CorpusWriter out(root, "fuzz_common_messages");
    out.message("hello", Hello{});
    out.message("hello_transfer", Hello{version, Channel::transfer, min_version});
    out.message("hello_control", Hello{version, Channel::control, min_version});
    out.message("hello_range_1_to_9", Hello{9, Channel::index, 1});
    // The version-1 form: no min_version.
    Bytes v1;
    ByteWriter w(v1);
    w.u32(magic);
    w.u16(1);
    w.u8(static_cast<std::uint8_t>(Channel::index));
    Bytes v1_frame;
    append_frame(v1_frame, MessageType::hello, v1);
    out.write("hello_version_1", v1_frame);
    out.message("welcome", Welcome{});
    out.message("welcome_version_1", Welcome{1});
    out.message("error_malformed", ErrorMessage{ErrorCode::malformed, "SEARCH: query is empty"});
    out.message("error_busy", ErrorMessage{ErrorCode::busy, "too many uploads, try later"});
    out.message("error_permission", ErrorMessage{ErrorCode::permission_denied, ""});
    out.message("error_unknown_code",
                ErrorMessage{static_cast<ErrorCode>(999), "from a newer peer"});
    out.message("ping", Ping{0x0123456789ABCDEF});
    out.message("pong", Pong{0});
}

void index_messages(const fs::path& root) {
    CorpusWriter out(root, "fuzz_index_messages");
    out.message("register", RegisterPeer{"alice", 6020});
    out.message("register_utf8", RegisterPeer{"caf\xc3\xa9-\xe2\x98\x83", 65535});
    out.message("registered", Registered{4});
    out.message("files_add_one", FilesAdd{{file(1, "a.txt", 12)}});
    out.message("files_add_three",
                FilesAdd{{file(1, "music/song.mp3", 4'000'000, root_of(0x10)),
                          file(2, "docs/deep/er/notes.txt", 0),
                          file(3, "\xff\xfe-not-utf8.bin", 0xFFFFFFFFFFFFFFFF, root_of(0xF0))}});
    out.message("files_remove_one", FilesRemove{{7}});
    out.message("files_remove_many", FilesRemove{{1, 2, 3, 0xFFFFFFFFFFFFFFFF}});
    out.message("search", Search{1, 0, 0, "file8", std::nullopt});
    out.message("search_exact", Search{2, search_flag_exact, 50, "file8_3.txt", std::nullopt});
    out.message("search_words", Search{3, 0, 1000, "two words \xc3\xa9", std::nullopt});
    out.message("search_root", Search{4, 0, 0, "", root_of(0x20)});
    out.message("search_result_empty", SearchResult{1, 0, {}});
    out.message("search_result_one",
                SearchResult{2,
                             1,
                             {SearchHit{"file8_3.txt",
                                        42,
                                        std::nullopt,
                                        1,
                                        {holder(3, "127.0.0.1", "file8_3.txt")}}}});
    out.message("search_result_capped",
                SearchResult{3,
                             10,
                             {SearchHit{"a.txt",
                                        1,
                                        std::nullopt,
                                        5,
                                        {holder(1, "192.0.2.1", "a.txt"), holder(2, "::1", "a.txt")}},
                              SearchHit{"b.txt", 2, std::nullopt, 0, {}}}});
    // By content: one root, the holders' own names for it.
    out.message("search_result_root",
                SearchResult{4,
                             2,
                             {SearchHit{"a.bin",
                                        3'000'000,
                                        root_of(0x20),
                                        3,
                                        {holder(1, "192.0.2.1", "a.bin"), holder(2, "::1", "copy.bin")}},
                              SearchHit{"b.bin", 5, std::nullopt, 1, {holder(3, "::1", "b.bin")}}}});
}

void transfer_messages(const fs::path& root) {
    CorpusWriter out(root, "fuzz_transfer_messages");
    out.message("get", Get{4, "alice", 17, "file8_3.txt", std::nullopt, 0, 0});
    out.message("get_resume", Get{unknown_peer_id, "", 1, "\xff.bin", std::nullopt, 1'000'000, 0});
    out.message("get_range_root", Get{4, "alice", 17, "a.bin", root_of(0x30), 1 << 20, 1 << 20});
    out.message("get_ok", GetOk{42, std::nullopt, 0, 42});
    out.message("get_ok_resumed", GetOk{1'000'000, std::nullopt, 999'999, 1});
    out.message("get_ok_empty", GetOk{0, std::nullopt, 0, 0});
    out.message("get_ok_range_root", GetOk{3 << 20, root_of(0x30), 1 << 20, 1 << 20});
    out.message("get_hashes", GetHashes{17, "a.bin", root_of(0x30), 0, 3});
    out.message("get_hashes_max", GetHashes{17, "a.bin", root_of(0x30), 2, max_hashes_per_reply});
    std::vector<content::Digest> leaves{root_of(0x40), root_of(0x60), root_of(0x80)};
    out.message("hashes", Hashes{root_of(0x30), (2 << 20) + 5, 0, leaves});
    out.message("hashes_tail", Hashes{root_of(0x30), (2 << 20) + 5, 2, {leaves[2]}});
    out.message("hashes_past_end", Hashes{root_of(0x30), 5, 1, {}});
}

void control_messages(const fs::path& root) {
    CorpusWriter out(root, "fuzz_control_messages");
    out.message("fetch", Fetch{"file8_3.txt", std::nullopt, "", std::nullopt});
    out.message("fetch_peer_dir", Fetch{"a.txt", 3, "/home/alice/incoming", std::nullopt});
    out.message("fetch_root", Fetch{"", std::nullopt, "", root_of(0x50)});
    out.message("fetch_root_named", Fetch{"saved.bin", 3, "/tmp", root_of(0x50)});
    out.message("fetch_progress", FetchProgress{1024, 4096, {}, 1, TransferState::transferring, 1500});
    out.message("fetch_progress_sources",
                FetchProgress{1024, 4096, {{3, "bob"}, {4, "carol"}}, 7, TransferState::transferring, 250});
    out.message("fetch_progress_syncing", FetchProgress{4096, 4096, {}, 2, TransferState::syncing, 9000});
    TransferInfo listed;
    listed.transfer_id = 3;
    listed.state = TransferState::transferring;
    listed.name = "big.bin";
    listed.done = 1024;
    listed.total = 4096;
    listed.rate = 512;
    listed.eta_seconds = 6;
    listed.peers = {{3, "bob"}};
    TransferInfo ended = listed;
    ended.transfer_id = 1;
    ended.direction = TransferDirection::upload;
    ended.state = TransferState::cancelled;
    ended.eta_seconds.reset();
    ended.error = "cancelled with napctl cancel 1";
    out.message("transfers", TransfersRequest{});
    out.message("transfers_result", TransfersResult{{listed, ended}, 0});
    out.message("cancel", CancelRequest{3});
    out.message("cancel_done", CancelDone{3, TransferDirection::download, "big.bin"});
    out.message("wait", WaitRequest{3});
    out.message("watch", WatchRequest{});
    WatchUpdate update;
    update.index_state = IndexState::connected;
    update.peer_id = 4;
    update.index_address = "127.0.0.1:5015";
    update.transfers = TransfersResult{{listed}, 0};
    out.message("watch_update", update);
    out.message("fetch_done",
                FetchDone{"/srv/napster/downloads/a.txt", 4096, 3, "bob", std::nullopt, false});
    out.message("fetch_done_verified",
                FetchDone{"/srv/napster/downloads/a.bin", 4096, 3, "bob", root_of(0x50), true});
    out.message("status", StatusRequest{});
    StatusResult status;
    status.name = "alice";
    status.index_state = IndexState::connected;
    status.peer_id = 4;
    status.index_address = "127.0.0.1:5015";
    status.upload_address = "0.0.0.0:6020";
    status.share_dirs = {"/srv/napster/share", "/srv/music"};
    status.download_dir = "/srv/napster/downloads";
    status.file_count = 118;
    status.total_bytes = 1 << 20;
    status.uptime_seconds = 3600;
    status.watched_dirs = 12;
    status.rescan_interval = 300;
    status.hash_files_left = 7;
    status.hash_bytes_left = 3 << 20;
    out.message("status_result_connected", status);
    status.download_sources = {{3, "bob"}, {4, "carol"}};
    out.message("status_result_downloading", status);
    status.download_sources.clear();
    status.index_state = IndexState::disconnected;
    status.reconnect_in_ms = 1500;
    status.last_error = "cannot connect to 127.0.0.1:5015: connection refused";
    status.watch_state = WatchState::rescans;
    status.share_dirs.clear();
    out.message("status_result_disconnected", status);
    out.message("shares", SharesRequest{});
    out.message("shares_batch",
                SharesBatch{{file(1, "a.txt", 1), file(2, "d/b.txt", 2, root_of(0x60))}});
    out.message("shares_end", SharesEnd{2});
    out.message("rescan", RescanRequest{});
    out.message("rescan_done", RescanDone{118, 3, 1});
    out.message("reload", ReloadRequest{});
    out.message("reload_result", ReloadResult{"/etc/napster/peer.toml",
                                              {{"share.dirs", true, "", "/srv/m"},
                                               {"upload.port", false, "6020", "6021"}},
                                              0});
}

// fuzz_frame's input: a settings byte (chunk-length count, frame limit),
// the chunk lengths, the stream.
Bytes frame_input(std::uint8_t limit, std::initializer_list<std::uint8_t> chunks,
                  const Bytes& stream) {
    Bytes out;
    out.push_back(std::byte{static_cast<std::uint8_t>((limit << 4) | chunks.size())});
    for (std::uint8_t n : chunks)
        out.push_back(std::byte{n});
    out.insert(out.end(), stream.begin(), stream.end());
    return out;
}

void frames(const fs::path& root) {
    CorpusWriter out(root, "fuzz_frame");
    Bytes session; // a peer's index session, both directions mixed
    append_message(session, Hello{});
    append_message(session, Welcome{});
    append_message(session, RegisterPeer{"alice", 6020});
    append_message(session, Registered{1});
    append_message(session, FilesAdd{{file(1, "a.txt", 12), file(2, "d/b.txt", 3, root_of(0))}});
    append_message(session, Search{1, 0, 0, "a", std::nullopt});
    append_message(session,
                   SearchResult{1,
                                1,
                                {SearchHit{"a.txt", 12, std::nullopt, 1, {holder(1, "::1", "a.txt")}}}});
    append_message(session, Ping{1});
    append_message(session, StatusRequest{});
    Bytes one = encode_message(Ping{7});

    out.write("one_frame", frame_input(0, {}, one));
    out.write("session_whole", frame_input(0, {}, session));
    out.write("session_bytewise", frame_input(0, {1}, session));
    out.write("session_chunks", frame_input(0, {3, 7, 0, 64}, session));
    out.write("session_limit_64", frame_input(2, {5}, session));
    out.write("session_limit_2", frame_input(1, {2, 9}, session));
    Bytes partial(session.begin(), session.end() - 3);
    out.write("partial_last_frame", frame_input(0, {11}, partial));
    Bytes unknown;
    append_frame(unknown, static_cast<MessageType>(0x7777), Bytes(5, std::byte{0x41}));
    out.write("unknown_type", frame_input(0, {2}, unknown));
    Bytes empty_payload;
    append_frame(empty_payload, MessageType::rescan, {});
    out.write("empty_payload", frame_input(0, {}, empty_payload));
    Bytes oversized = one;
    for (std::uint8_t b : {0x00, 0x10, 0x00, 0x01, 0x00, 0x04})
        oversized.push_back(std::byte{b});
    out.write("then_oversized", frame_input(0, {4}, oversized));
    Bytes too_short = one;
    for (std::uint8_t b : {0x00, 0x00, 0x00, 0x01, 0x00})
        too_short.push_back(std::byte{b});
    out.write("then_too_short", frame_input(3, {1, 2}, too_short));
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: make_corpus DIR (writes DIR/fuzz_*/)\n");
        return 2;
    }
    fs::path root = argv[1];
    common_messages(root);
    index_messages(root);
    transfer_messages(root);
    control_messages(root);
    frames(root);
    return 0;
}
