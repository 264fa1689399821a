// SPDX-License-Identifier: MIT
#include "event/work.h"

namespace napster {
namespace {

struct Job {
    uv_work_t req{};
    std::function<void()> work;
    std::function<void()> done;
};

} // namespace

void queue_work(uv_loop_t* loop, std::function<void()> work, std::function<void()> done) {
    auto* job = new Job{{}, std::move(work), std::move(done)};
    job->req.data = job;
    int rc = uv_queue_work(
        loop, &job->req, [](uv_work_t* req) { static_cast<Job*>(req->data)->work(); },
        [](uv_work_t* req, int) {
            auto* job = static_cast<Job*>(req->data);
            auto done = std::move(job->done);
            delete job;
            done();
        });
    if (rc != 0) {
        // Only fails for invalid arguments; run inline rather than lose it.
        job->work();
        auto done = std::move(job->done);
        delete job;
        done();
    }
}

} // namespace napster
