// SPDX-License-Identifier: MIT
#include "event/paced_sender.h"

#include <memory>
#include <utility>

namespace napster {

void PacedSender::push_frame(Bytes frame) {
    auto pending = std::make_shared<std::optional<Bytes>>(std::move(frame));
    push([pending]() -> std::optional<Bytes> { return std::exchange(*pending, std::nullopt); });
}

void PacedSender::pump(Connection& connection) {
    // A source may push more, or send() may call back into our owner: one
    // loop of pumping at a time.
    if (pumping_) return;
    pumping_ = true;
    while (!sources_.empty() && !connection.closing() &&
           connection.pending_write_bytes() <= low_water_) {
        std::optional<Bytes> frame = sources_.front()();
        if (!frame) {
            sources_.pop_front();
            continue;
        }
        connection.send(std::move(*frame));
    }
    pumping_ = false;
}

} // namespace napster
