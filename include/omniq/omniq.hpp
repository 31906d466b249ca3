// omniq: an embeddable background task queue for C++20.
//
// The umbrella header of the blocking API (no Asio needed): OmniQ,
// WorkerPool, Registry, TaskDef, the models, errors, Settings and Storage.
// For the coroutine API include <omniq/async.hpp>.
#pragma once

#include "omniq/error.hpp"
#include "omniq/logging.hpp"
#include "omniq/registry.hpp"
#include "omniq/settings.hpp"
#include "omniq/storage.hpp"
#include "omniq/sync_omniq.hpp"
#include "omniq/task.hpp"
#include "omniq/task_def.hpp"
#include "omniq/task_status.hpp"
#include "omniq/time.hpp"
#include "omniq/version.hpp"
#include "omniq/worker_pool.hpp"
