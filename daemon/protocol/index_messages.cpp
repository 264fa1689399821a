// SPDX-License-Identifier: MIT
#include "protocol/index_messages.h"

#include "protocol/name_rules.h"
#include "util/path_text.h"

namespace napster::protocol {
namespace {

// The smallest encoding of each repeated element: a count larger than the
// bytes left could hold is refused before anything is allocated for it.
constexpr std::size_t min_file_entry = 8 + 8 + 1 + 1 + 2 + 1 + 1;
constexpr std::size_t min_hit = 1 + 1 + 8 + 1 + 4 + 2;
constexpr std::size_t min_holder = 4 + 1 + 1 + 2 + 8 + 1 + 1;

bool count_fits(ByteReader& r, std::size_t count, std::size_t min_each, const char* what) {
    if (!r.ok()) return false;
    if (count > r.remaining() / min_each) {
        r.fail(fmt::format("{} count {} exceeds what the frame holds", what, count));
        return false;
    }
    return true;
}

void check_batch_size(ByteReader& r, std::uint32_t count, const char* what) {
    if (r.ok() && (count == 0 || count > max_batch_files))
        r.fail(fmt::format("{} count {} is not within 1..{}", what, count, max_batch_files));
}

} // namespace

void RegisterPeer::write(ByteWriter& w) const {
    w.str8(name);
    w.u16(upload_port);
}

RegisterPeer RegisterPeer::read(ByteReader& r) {
    RegisterPeer m;
    m.name = r.str8("peer name", max_peer_name);
    if (r.ok() && m.name.empty()) r.fail("peer name is empty");
    m.upload_port = r.u16("upload port");
    if (r.ok() && m.upload_port == 0) r.fail("upload port is 0");
    return m;
}

void Registered::write(ByteWriter& w) const { w.u32(peer_id); }

Registered Registered::read(ByteReader& r) { return Registered{r.u32("peer id")}; }

void write_file_entry(ByteWriter& w, const FileEntry& file) {
    w.u64(file.file_id);
    w.u64(file.size);
    w.str8(file.name);
    w.str16(file.rel_path);
    write_root(w, file.root);
}

FileEntry read_file_entry(ByteReader& r) {
    FileEntry f;
    f.file_id = r.u64("file id");
    f.size = r.u64("file size");
    f.name = r.str8("file name", max_file_name);
    f.rel_path = r.str16("relative path", max_rel_path);
    f.root = read_root(r, "root");
    if (!r.ok()) return f;
    if (auto problem = file_name_problem(f.name)) {
        r.fail(*problem);
    } else if (auto problem = relative_path_problem(f.rel_path)) {
        r.fail(*problem);
    } else if (base_name(f.rel_path) != f.name) {
        r.fail("file name is not the last component of its relative path");
    }
    return f;
}

void FilesAdd::write(ByteWriter& w) const {
    w.u32(static_cast<std::uint32_t>(files.size()));
    for (const auto& f : files) write_file_entry(w, f);
}

FilesAdd FilesAdd::read(ByteReader& r) {
    FilesAdd m;
    std::uint32_t count = r.u32("file count");
    check_batch_size(r, count, "file");
    if (!count_fits(r, count, min_file_entry, "file")) return m;
    m.files.reserve(count);
    for (std::uint32_t i = 0; i < count && r.ok(); ++i) m.files.push_back(read_file_entry(r));
    return m;
}

void FilesRemove::write(ByteWriter& w) const {
    w.u32(static_cast<std::uint32_t>(file_ids.size()));
    for (auto id : file_ids) w.u64(id);
}

FilesRemove FilesRemove::read(ByteReader& r) {
    FilesRemove m;
    std::uint32_t count = r.u32("file id count");
    check_batch_size(r, count, "file id");
    if (!count_fits(r, count, 8, "file id")) return m;
    m.file_ids.reserve(count);
    for (std::uint32_t i = 0; i < count && r.ok(); ++i) m.file_ids.push_back(r.u64("file id"));
    return m;
}

void Search::write(ByteWriter& w) const {
    w.u32(request_id);
    w.u8(flags);
    w.u16(max_results);
    w.str16(query);
    write_root(w, root);
}

Search Search::read(ByteReader& r) {
    Search m;
    m.request_id = r.u32("request id");
    m.flags = r.u8("flags");
    if (r.ok() && (m.flags & ~search_flag_exact)) r.fail("reserved search flags are set");
    m.max_results = r.u16("max results");
    m.query = r.str16("query", max_query);
    m.root = read_root(r, "root");
    if (r.ok() && m.query.empty() && !m.root) r.fail("query is empty and no root is given");
    if (r.ok() && !m.query.empty() && m.root) r.fail("both a query and a root are given");
    return m;
}

namespace {

SearchHitHeader header_of(const SearchHit& hit) {
    return {hit.name, hit.size, hit.root, hit.holder_total,
            static_cast<std::uint16_t>(hit.holders.size())};
}

HolderFields fields_of(const Holder& h) {
    return {h.peer_id, h.peer_name, h.address, h.port, h.file_id, h.name};
}

} // namespace

std::size_t encoded_size(const SearchHitHeader& hit) {
    return 1 + hit.name.size() + 8 + root_size(hit.root) + 4 + 2;
}

std::size_t encoded_size(const HolderFields& h) {
    return 4 + 1 + h.peer_name.size() + 1 + h.address.size() + 2 + 8 + 1 + h.name.size();
}

std::size_t encoded_size(const SearchHit& hit) {
    std::size_t size = encoded_size(header_of(hit));
    for (const auto& h : hit.holders)
        size += encoded_size(fields_of(h));
    return size;
}

void write_search_result_header(ByteWriter& w, std::uint32_t request_id,
                                std::uint32_t total_matches, bool total_is_lower_bound,
                                std::uint16_t hit_count) {
    w.u32(request_id);
    w.u32(total_matches);
    w.u8(total_is_lower_bound ? search_result_total_is_lower_bound : 0);
    w.u16(hit_count);
}

void write_search_hit_header(ByteWriter& w, const SearchHitHeader& hit) {
    w.str8(hit.name);
    w.u64(hit.size);
    write_root(w, hit.root);
    w.u32(hit.holder_total);
    w.u16(hit.holder_count);
}

void write_holder(ByteWriter& w, const HolderFields& h) {
    w.u32(h.peer_id);
    w.str8(h.peer_name);
    w.str8(h.address);
    w.u16(h.port);
    w.u64(h.file_id);
    w.str8(h.name);
}

void SearchResult::write(ByteWriter& w) const {
    write_search_result_header(w, request_id, total_matches, total_is_lower_bound,
                               static_cast<std::uint16_t>(hits.size()));
    for (const auto& hit : hits) {
        write_search_hit_header(w, header_of(hit));
        for (const auto& h : hit.holders)
            write_holder(w, fields_of(h));
    }
}

SearchResult SearchResult::read(ByteReader& r) {
    SearchResult m;
    m.request_id = r.u32("request id");
    m.total_matches = r.u32("total matches");
    std::uint8_t flags = r.u8("result flags");
    if (r.ok() && (flags & ~search_result_total_is_lower_bound)) r.fail("reserved result flags are set");
    m.total_is_lower_bound = flags & search_result_total_is_lower_bound;
    std::uint16_t count = r.u16("hit count");
    if (!count_fits(r, count, min_hit, "hit")) return m;
    if (r.ok() && m.total_matches < count) r.fail("total matches is less than the hits sent");
    for (std::uint16_t i = 0; i < count && r.ok(); ++i) {
        SearchHit hit;
        hit.name = r.str8("file name", max_file_name);
        if (r.ok())
            if (auto problem = file_name_problem(hit.name)) r.fail(*problem);
        hit.size = r.u64("file size");
        hit.root = read_root(r, "root");
        hit.holder_total = r.u32("holder total");
        std::uint16_t holders = r.u16("holder count");
        if (r.ok() && holders > max_holders_per_result)
            r.fail(fmt::format("holder count {} exceeds {}", holders, max_holders_per_result));
        if (r.ok() && hit.holder_total < holders) r.fail("holder total is less than the holders sent");
        if (!count_fits(r, holders, min_holder, "holder")) break;
        for (std::uint16_t k = 0; k < holders && r.ok(); ++k) {
            Holder h;
            h.peer_id = r.u32("peer id");
            h.peer_name = r.str8("peer name", max_peer_name);
            h.address = r.str8("address", max_address_text);
            h.port = r.u16("port");
            h.file_id = r.u64("file id");
            h.name = r.str8("holder's file name", max_file_name);
            if (r.ok())
                if (auto problem = file_name_problem(h.name)) r.fail(*problem);
            // Without a root a hit is one name: its holders' names are it.
            if (r.ok() && !hit.root && h.name != hit.name) r.fail("a holder's name differs in a hit without a root");
            hit.holders.push_back(std::move(h));
        }
        m.hits.push_back(std::move(hit));
    }
    return m;
}

} // namespace napster::protocol
