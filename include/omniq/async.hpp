// omniq's coroutine API on Asio: AsyncOmniQ, AsyncWorkerPool and coroutine
// handlers, with everything <omniq/omniq.hpp> has.
#pragma once

#include "omniq/async_omniq.hpp"
#include "omniq/async_worker_pool.hpp"
#include "omniq/omniq.hpp"
