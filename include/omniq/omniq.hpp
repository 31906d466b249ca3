// omniq: an embeddable background task queue for C++20.
//
// The umbrella header: everything a user of the library needs.
#pragma once

#include "omniq/async_omniq.hpp"
#include "omniq/async_storage.hpp"
#include "omniq/async_task_queue.hpp"
#include "omniq/async_worker_pool.hpp"
#include "omniq/error.hpp"
#include "omniq/file_storage.hpp"
#include "omniq/logging.hpp"
#include "omniq/memory_storage.hpp"
#include "omniq/registry.hpp"
#include "omniq/serializer.hpp"
#include "omniq/settings.hpp"
#include "omniq/sqlite_storage.hpp"
#include "omniq/storage.hpp"
#include "omniq/sync_omniq.hpp"
#include "omniq/task.hpp"
#include "omniq/task_def.hpp"
#include "omniq/task_status.hpp"
#include "omniq/time.hpp"
#include "omniq/version.hpp"
#include "omniq/worker_pool.hpp"
