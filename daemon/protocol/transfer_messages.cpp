// SPDX-License-Identifier: MIT
#include "protocol/transfer_messages.h"

#include "content/hash_tree.h"
#include "protocol/name_rules.h"

#include <fmt/format.h>

#include <cstring>

namespace napster::protocol {
namespace {

using content::read_digest;
using content::write_digest;

std::string read_name(ByteReader& r) {
    std::string name = r.str8("file name", max_file_name);
    if (r.ok())
        if (auto problem = file_name_problem(name)) r.fail(*problem);
    return name;
}

} // namespace

void Get::write(ByteWriter& w) const {
    w.u32(requester_id);
    w.str8(requester_name);
    w.u64(file_id);
    w.str8(name);
    write_root(w, root);
    w.u64(offset);
    w.u64(length);
}

Get Get::read(ByteReader& r) {
    Get m;
    m.requester_id = r.u32("requester id");
    m.requester_name = r.str8("requester name", max_peer_name);
    m.file_id = r.u64("file id");
    m.name = read_name(r);
    m.root = read_root(r, "root");
    m.offset = r.u64("offset");
    m.length = r.u64("length");
    if (r.ok() && m.length > UINT64_MAX - m.offset) r.fail("offset + length overflows");
    return m;
}

void GetOk::write(ByteWriter& w) const {
    w.u64(size);
    write_root(w, root);
    w.u64(offset);
    w.u64(length);
}

GetOk GetOk::read(ByteReader& r) {
    GetOk m;
    m.size = r.u64("size");
    m.root = read_root(r, "root");
    m.offset = r.u64("offset");
    m.length = r.u64("length");
    if (r.ok() && (m.offset > m.size || m.length > m.size - m.offset)) r.fail("offset + length exceeds the file size");
    return m;
}

void GetHashes::write(ByteWriter& w) const {
    w.u64(file_id);
    w.str8(name);
    write_digest(w, root);
    w.u64(first);
    w.u32(count);
}

GetHashes GetHashes::read(ByteReader& r) {
    GetHashes m;
    m.file_id = r.u64("file id");
    m.name = read_name(r);
    m.root = read_digest(r, "root");
    m.first = r.u64("first block");
    m.count = r.u32("block count");
    if (r.ok() && (m.count == 0 || m.count > max_hashes_per_reply))
        r.fail(fmt::format("block count {} is not within 1..{}", m.count, max_hashes_per_reply));
    return m;
}

void Hashes::write(ByteWriter& w) const {
    write_digest(w, root);
    w.u64(size);
    w.u64(first);
    w.u32(static_cast<std::uint32_t>(leaves.size()));
    for (const auto& leaf : leaves) write_digest(w, leaf);
}

Hashes Hashes::read(ByteReader& r) {
    Hashes m;
    m.root = read_digest(r, "root");
    m.size = r.u64("size");
    m.first = r.u64("first block");
    std::uint32_t count = r.u32("block count");
    if (r.ok() && count > max_hashes_per_reply)
        r.fail(fmt::format("block count {} exceeds {}", count, max_hashes_per_reply));
    if (r.ok() && count > r.remaining() / content::digest_size)
        r.fail(fmt::format("block count {} exceeds what the frame holds", count));
    if (r.ok() && (m.first >= content::block_count(m.size) ? count != 0
                                                           : count > content::block_count(m.size) - m.first))
        r.fail("more block hashes than the file has blocks past the first asked for");
    if (!r.ok()) return m;
    m.leaves.reserve(count);
    for (std::uint32_t i = 0; i < count && r.ok(); ++i) m.leaves.push_back(read_digest(r, "block hash"));
    return m;
}

} // namespace napster::protocol
