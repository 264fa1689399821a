// SPDX-License-Identifier: MIT
#pragma once

// The one way napster closes a libuv handle. libuv may still touch a handle
// until uv_close's callback has run, so the memory that holds it is freed
// there and nowhere else. Closing again while the close is pending does
// nothing (uvw's `close()` does the same with uv_is_closing), so an owner
// can close from its destructor and from an error path without keeping a
// flag of its own. Once the callback has run the handle is gone: the owner
// must forget it then (it is usually gone itself).
//
// Loop thread only, like every libuv call on a handle.

#include <uv.h>

namespace napster {

// Closes `handle` once; `on_closed` runs from uv_close's callback and frees
// whatever holds the handle. Later calls before that callback do nothing.
template <typename Handle> void close_handle(Handle* handle, uv_close_cb on_closed) {
    auto* h = reinterpret_cast<uv_handle_t*>(handle);
    if (uv_is_closing(h)) return;
    uv_close(h, on_closed);
}

// The common case: `handle->data` points to the heap object `Owner` that
// holds the handle, and closing the handle ends that object's life.
template <typename Owner, typename Handle> void close_and_delete(Handle* handle) {
    close_handle(handle, [](uv_handle_t* h) { delete static_cast<Owner*>(h->data); });
}

} // namespace napster
