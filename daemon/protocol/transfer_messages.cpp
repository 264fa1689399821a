// SPDX-License-Identifier: MIT
#include "protocol/transfer_messages.h"

#include "protocol/name_rules.h"

namespace napster::protocol {

void Get::write(ByteWriter& w) const {
    w.u32(requester_id);
    w.str8(requester_name);
    w.u64(file_id);
    w.str8(name);
    w.u64(offset);
}

Get Get::read(ByteReader& r) {
    Get m;
    m.requester_id = r.u32("requester id");
    m.requester_name = r.str8("requester name", max_peer_name);
    m.file_id = r.u64("file id");
    m.name = r.str8("file name", max_file_name);
    if (r.ok())
        if (auto problem = file_name_problem(m.name)) r.fail(*problem);
    m.offset = r.u64("offset");
    return m;
}

void GetOk::write(ByteWriter& w) const {
    w.u64(size);
    w.u64(length);
}

GetOk GetOk::read(ByteReader& r) {
    GetOk m;
    m.size = r.u64("size");
    m.length = r.u64("length");
    if (r.ok() && m.length > m.size) r.fail("length exceeds the file size");
    return m;
}

} // namespace napster::protocol
