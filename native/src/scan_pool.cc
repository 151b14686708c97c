#include "scan_pool.h"

#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/syscall.h>
#elif defined(__APPLE__)
#include <pthread.h>
#endif

#include <mutex>
#include <utility>

#include "scan_settings.h"

namespace gigapad {

namespace {

// Read buffers outlive the scans that use them. At most kKeptBuffers of the current size are
// kept, prefaulted (MAP_POPULATE), for the next scan.
class BufferPool {
 public:
  static BufferPool& Instance() {
    static BufferPool* pool = new BufferPool();  // never destroyed: scans may outlive statics
    return *pool;
  }
  uint8_t* Acquire(uint64_t size) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (size_t i = 0; i < kept_.size(); ++i) {
        if (kept_[i].second == size) {
          uint8_t* data = kept_[i].first;
          kept_.erase(kept_.begin() + static_cast<std::ptrdiff_t>(i));
          return data;
        }
      }
    }
    void* data = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS
#if defined(MAP_POPULATE)
                                                                  | MAP_POPULATE
#endif
                      , -1, 0);
    return data == MAP_FAILED ? nullptr : static_cast<uint8_t*>(data);
  }
  void Release(uint8_t* data, uint64_t size) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (size == ScanBufferBytes() && kept_.size() < kKeptBuffers) {
        kept_.emplace_back(data, size);
        return;
      }
    }
    munmap(data, size);
  }

 private:
  static constexpr size_t kKeptBuffers = 9;
  std::mutex mutex_;
  std::vector<std::pair<uint8_t*, uint64_t>> kept_;
};

}  // namespace

unsigned ScanThreadCount() {
  unsigned cores = std::thread::hardware_concurrency();
  if (cores == 0) cores = 1;
  return std::min(cores, 8u);
}

void LowerThisThreadPriority() {
#if defined(__linux__)
  setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 10);
#elif defined(__APPLE__)
  pthread_set_qos_class_self_np(QOS_CLASS_UTILITY, 0);
#endif
}

ScanBuffer::~ScanBuffer() {
  if (data_ != nullptr) BufferPool::Instance().Release(data_, size_);
}

uint8_t* ScanBuffer::Data() {
  if (data_ == nullptr) {
    size_ = ScanBufferBytes();
    data_ = BufferPool::Instance().Acquire(size_);
  }
  return data_;
}

uint64_t ScanBuffer::Size() {
  Data();
  return size_;
}

}  // namespace gigapad
