// ZmqRouter: a libzmq ROUTER socket for a dedicated agent process. receive(timeoutMs) blocks the
// calling thread in zmq_poll for at most timeoutMs (the caller yields to the event loop between
// calls, so timers and signals still run), send() is a plain non-blocking zmq_send. The answer to
// a state therefore leaves in the same turn of the loop that received the state, without the
// promise and libuv poll wake-up per message of zeromq.js.
//
// receiveInto(timeoutMs, frame, peer, spinUs) is the per-step form: a REQ peer's message [routing
// id, empty, payload] lands in two buffers the caller reuses (no object per message), waiting in
// a blocking zmq_msg_recv bounded by ZMQ_RCVTIMEO, as a C++ agent's zmq_recv does; any other
// message (another shape, a payload bigger than `frame`) is kept for receive() to hand out. With
// spinUs > 0 it first polls without blocking for up to that many microseconds: a state that
// arrives meanwhile is taken without the thread being put to sleep and woken again, which on a
// simulator that answers within tens of microseconds is most of a step's round trip.
//
// A socket monitor counts connections accepted and lost (the server's only use of zeromq.js's
// socket events); connectionEvents() hands out the counts since its last call. No CURVE: the
// server keeps zeromq.js wherever CURVE is on.
#include "zmq_router.h"

#include <sched.h>
#include <zmq.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace ns3ts {
namespace {

void* context() {
  // One context for the process, never terminated (sockets are closed one by one).
  static void* ctx = zmq_ctx_new();
  return ctx;
}

std::atomic<unsigned> nextMonitor{0};

class ZmqRouterWrap : public Napi::ObjectWrap<ZmqRouterWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "ZmqRouter",
                       {InstanceMethod("bind", &ZmqRouterWrap::Bind), InstanceMethod("receive", &ZmqRouterWrap::Receive),
                        InstanceMethod("receiveInto", &ZmqRouterWrap::ReceiveInto),
                        InstanceMethod("send", &ZmqRouterWrap::Send),
                        InstanceMethod("connectionEvents", &ZmqRouterWrap::ConnectionEvents),
                        InstanceMethod("close", &ZmqRouterWrap::Close),
                        InstanceAccessor("closed", &ZmqRouterWrap::Closed, nullptr)});
  }

  explicit ZmqRouterWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ZmqRouterWrap>(info) {
    Napi::Env env = info.Env();
    std::int64_t maxMessageSize = -1;
    if (info.Length() > 0 && info[0].IsObject()) {
      Napi::Value v = info[0].As<Napi::Object>().Get("maxMessageSize");
      if (!v.IsUndefined()) {
        const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -2;
        if (!(d >= -1) || d != static_cast<double>(static_cast<std::int64_t>(d))) {
          throw Napi::TypeError::New(env, "maxMessageSize: expected -1 or a non-negative integer");
        }
        maxMessageSize = static_cast<std::int64_t>(d);
      }
    }
    socket_ = zmq_socket(context(), ZMQ_ROUTER);
    if (!socket_) throw Napi::Error::New(env, std::string("zmq_socket: ") + zmq_strerror(zmq_errno()));
    const int linger = 0;
    zmq_setsockopt(socket_, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(socket_, ZMQ_MAXMSGSIZE, &maxMessageSize, sizeof maxMessageSize);
    const std::string monitorAddress = "inproc://ns3ts-router-monitor-" + std::to_string(nextMonitor++);
    if (zmq_socket_monitor(socket_, monitorAddress.c_str(), ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED) != 0) {
      const std::string why = zmq_strerror(zmq_errno());
      Shut();
      throw Napi::Error::New(env, "zmq_socket_monitor: " + why);
    }
    monitor_ = zmq_socket(context(), ZMQ_PAIR);
    zmq_setsockopt(monitor_, ZMQ_LINGER, &linger, sizeof linger);
    if (!monitor_ || zmq_connect(monitor_, monitorAddress.c_str()) != 0) {
      const std::string why = zmq_strerror(zmq_errno());
      Shut();
      throw Napi::Error::New(env, "monitor connect: " + why);
    }
  }

  ~ZmqRouterWrap() override { Shut(); }

 private:
  void* socket_ = nullptr;
  void* monitor_ = nullptr;
  std::uint32_t accepted_ = 0;
  std::uint32_t disconnected_ = 0;
  // ZMQ_RCVTIMEO as last set (-1: libzmq's default, wait forever; never used here).
  int receiveTimeout_ = -1;
  // A message receiveInto() took off the socket but could not hand out: receive() returns it first.
  std::vector<std::string> pending_;

  void Shut() {
    if (socket_) zmq_socket_monitor(socket_, nullptr, 0);
    if (monitor_) zmq_close(monitor_);
    if (socket_) zmq_close(socket_);
    monitor_ = nullptr;
    socket_ = nullptr;
    pending_.clear();
  }

  static double TimeoutArg(const Napi::CallbackInfo& info) {
    const double timeout = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : -2;
    if (!(timeout >= 0 && timeout <= 60000)) throw Napi::TypeError::New(info.Env(), "timeoutMs: expected a number of milliseconds in [0, 60000]");
    return timeout;
  }

  void RequireOpen(const Napi::Env& env, const char* what) {
    if (!socket_) throw Napi::Error::New(env, std::string(what) + ": the socket is closed");
  }

  // bind(endpoint) -> the endpoint as bound (ZMQ_LAST_ENDPOINT: the port chosen for tcp://...:*).
  Napi::Value Bind(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    RequireOpen(env, "bind");
    if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(env, "endpoint: expected a string");
    const std::string endpoint = info[0].As<Napi::String>();
    if (zmq_bind(socket_, endpoint.c_str()) != 0) throw Napi::Error::New(env, endpoint + ": " + zmq_strerror(zmq_errno()));
    char last[1024];
    size_t size = sizeof last;
    if (zmq_getsockopt(socket_, ZMQ_LAST_ENDPOINT, last, &size) != 0) return Napi::String::New(env, endpoint);
    return Napi::String::New(env, last);
  }

  void DrainMonitor() {
    for (;;) {
      zmq_msg_t head;
      zmq_msg_init(&head);
      if (zmq_msg_recv(&head, monitor_, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&head);
        return;
      }
      if (zmq_msg_size(&head) >= 2) {
        std::uint16_t event;
        std::memcpy(&event, zmq_msg_data(&head), sizeof event);
        if (event == ZMQ_EVENT_ACCEPTED) accepted_++;
        if (event == ZMQ_EVENT_DISCONNECTED) disconnected_++;
      }
      const bool more = zmq_msg_more(&head);
      zmq_msg_close(&head);
      // The second frame (the peer's address) is not needed.
      while (true) {
        int rcvmore = 0;
        size_t len = sizeof rcvmore;
        zmq_getsockopt(monitor_, ZMQ_RCVMORE, &rcvmore, &len);
        if (!more || !rcvmore) break;
        zmq_msg_t rest;
        zmq_msg_init(&rest);
        while (zmq_msg_recv(&rest, monitor_, 0) < 0 && zmq_errno() == EINTR) {
        }
        zmq_msg_close(&rest);
      }
    }
  }

  // receive(timeoutMs) -> Buffer[] (every frame of one message, the routing id first), or null when
  // nothing arrived within timeoutMs (0: do not wait).
  Napi::Value Receive(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    RequireOpen(env, "receive");
    const double timeout = TimeoutArg(info);
    if (!pending_.empty()) {
      Napi::Array out = Napi::Array::New(env, pending_.size());
      for (uint32_t i = 0; i < pending_.size(); ++i) out.Set(i, Napi::Buffer<char>::Copy(env, pending_[i].data(), pending_[i].size()));
      pending_.clear();
      return out;
    }
    // First without waiting: a state that is already queued costs no poll.
    Napi::Value got = TryReceive(env);
    if (!got.IsNull() || timeout == 0) {
      DrainMonitor();
      return got;
    }
    zmq_pollitem_t items[2] = {{socket_, 0, ZMQ_POLLIN, 0}, {monitor_, 0, ZMQ_POLLIN, 0}};
    const int n = zmq_poll(items, 2, static_cast<long>(timeout));
    if (n < 0) {
      if (zmq_errno() == EINTR) return env.Null();
      throw Napi::Error::New(env, std::string("zmq_poll: ") + zmq_strerror(zmq_errno()));
    }
    if (items[1].revents & ZMQ_POLLIN) DrainMonitor();
    if (items[0].revents & ZMQ_POLLIN) return TryReceive(env);
    return env.Null();
  }

  // receiveInto(timeoutMs, frame, peer) -> the payload's length, with the payload copied into
  // `frame` and the routing id into `peer` as [length, bytes...] (peer holds at least 256 bytes:
  // ids are at most 255); kNothing when nothing arrived within timeoutMs; kTakeWithReceive when a
  // message arrived that is not [id, empty, payload fitting `frame`] (receive() hands it out).
  // Connection events are not read here: connectionEvents() reads them.
  static constexpr int kNothing = -1;
  static constexpr int kTakeWithReceive = -2;

  Napi::Value ReceiveInto(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    RequireOpen(env, "receiveInto");
    const double timeout = TimeoutArg(info);
    if (info.Length() < 3 || !info[1].IsTypedArray() || !info[2].IsTypedArray()) {
      throw Napi::TypeError::New(env, "receiveInto(timeoutMs, frame, peer): expected a number and two Uint8Arrays");
    }
    auto frame = info[1].As<Napi::Uint8Array>();
    auto peer = info[2].As<Napi::Uint8Array>();
    if (peer.ByteLength() < 256) throw Napi::RangeError::New(env, "peer: expected a Uint8Array of at least 256 bytes");
    if (!pending_.empty()) return Napi::Number::New(env, kTakeWithReceive);
    const int wait = static_cast<int>(timeout);
    if (wait != receiveTimeout_) {
      zmq_setsockopt(socket_, ZMQ_RCVTIMEO, &wait, sizeof wait);
      receiveTimeout_ = wait;
    }
    double spinUs = 0;
    if (info.Length() > 3 && !info[3].IsUndefined()) {
      spinUs = info[3].IsNumber() ? info[3].As<Napi::Number>().DoubleValue() : -1;
      if (!(spinUs >= 0 && spinUs <= 1e6)) throw Napi::TypeError::New(env, "spinUs: expected a number of microseconds in [0, 1000000]");
    }
    zmq_msg_t part;
    zmq_msg_init(&part);
    bool received = false;
    if (spinUs > 0 && wait != 0) {
      const double spinFor = wait > 0 ? std::min(spinUs, 1000.0 * wait) : spinUs;
      const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double, std::micro>(spinFor);
      do {
        if (zmq_msg_recv(&part, socket_, ZMQ_DONTWAIT) >= 0) {
          received = true;
          break;
        }
        if (zmq_errno() != EAGAIN && zmq_errno() != EINTR) break;  // the blocking receive reports it
        // A thread waiting for this core (the simulator's, placed here by the scheduler) runs first.
        sched_yield();
      } while (std::chrono::steady_clock::now() < until);
    }
    if (!received && zmq_msg_recv(&part, socket_, 0) < 0) {
      const int err = zmq_errno();
      zmq_msg_close(&part);
      // EINTR: a signal; the caller yields to the event loop, where its handler runs.
      if (err == EAGAIN || err == EINTR) return Napi::Number::New(env, kNothing);
      throw Napi::Error::New(env, std::string("zmq_msg_recv: ") + zmq_strerror(err));
    }
    // The other parts of a message arrive with its first (ZeroMQ delivers messages whole).
    int index = 0;
    bool fits = true;
    std::size_t payloadSize = 0;
    std::vector<std::string> parts;
    for (;;) {
      const auto* data = static_cast<const std::uint8_t*>(zmq_msg_data(&part));
      const std::size_t size = zmq_msg_size(&part);
      const bool more = zmq_msg_more(&part);
      if (fits) {
        if (index == 0 && more && size <= 255) {
          peer.Data()[0] = static_cast<std::uint8_t>(size);
          std::memcpy(peer.Data() + 1, data, size);
        } else if (index == 1 && more && size == 0) {
        } else if (index == 2 && !more && size <= frame.ByteLength()) {
          std::memcpy(frame.Data(), data, size);
          payloadSize = size;
        } else {
          // Not the per-step shape: keep the whole message, the parts read so far included.
          fits = false;
          if (index >= 1) parts.emplace_back(reinterpret_cast<const char*>(peer.Data() + 1), peer.Data()[0]);
          if (index >= 2) parts.emplace_back();
        }
      }
      if (!fits) parts.emplace_back(reinterpret_cast<const char*>(data), size);
      zmq_msg_close(&part);
      ++index;
      if (!more) break;
      zmq_msg_init(&part);
      while (zmq_msg_recv(&part, socket_, ZMQ_DONTWAIT) < 0) {
        if (zmq_errno() != EINTR) {
          const std::string why = zmq_strerror(zmq_errno());
          zmq_msg_close(&part);
          throw Napi::Error::New(env, "zmq_msg_recv: " + why);
        }
      }
    }
    if (fits && index != 3) {
      // Fewer than three parts: hand out what came, as receive() would.
      fits = false;
      parts.emplace_back(reinterpret_cast<const char*>(peer.Data() + 1), peer.Data()[0]);
      if (index >= 2) parts.emplace_back();
    }
    if (!fits) {
      pending_ = std::move(parts);
      return Napi::Number::New(env, kTakeWithReceive);
    }
    return Napi::Number::New(env, static_cast<double>(payloadSize));
  }

  Napi::Value TryReceive(const Napi::Env& env) {
    std::vector<Napi::Value> frames;
    for (;;) {
      zmq_msg_t msg;
      zmq_msg_init(&msg);
      if (zmq_msg_recv(&msg, socket_, ZMQ_DONTWAIT) < 0) {
        const int err = zmq_errno();
        zmq_msg_close(&msg);
        // Interrupted by a signal: the frame is still queued, read it again.
        if (err == EINTR) continue;
        if (frames.empty() && err == EAGAIN) return env.Null();
        throw Napi::Error::New(env, std::string("zmq_msg_recv: ") + zmq_strerror(err));
      }
      frames.push_back(Napi::Buffer<char>::Copy(env, static_cast<const char*>(zmq_msg_data(&msg)), zmq_msg_size(&msg)));
      const bool more = zmq_msg_more(&msg);
      zmq_msg_close(&msg);
      if (!more) break;
    }
    Napi::Array out = Napi::Array::New(env, frames.size());
    for (uint32_t i = 0; i < frames.size(); ++i) out.Set(i, frames[i]);
    return out;
  }

  // send(peer, payload): [peer, empty delimiter, payload] to a REQ peer; false when the peer is gone
  // or its queue is full (ZeroMQ drops the message, as zeromq.js's ROUTER does).
  Napi::Value Send(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    RequireOpen(env, "send");
    if (info.Length() < 2 || !info[0].IsTypedArray() || !info[1].IsTypedArray()) {
      throw Napi::TypeError::New(env, "send(peer, payload): expected two Uint8Arrays");
    }
    auto peer = info[0].As<Napi::Uint8Array>();
    auto payload = info[1].As<Napi::Uint8Array>();
    if (!SendPart(peer.Data(), peer.ByteLength(), ZMQ_SNDMORE)) return Napi::Boolean::New(env, false);
    SendPart(nullptr, 0, ZMQ_SNDMORE);
    return Napi::Boolean::New(env, SendPart(payload.Data(), payload.ByteLength(), 0));
  }

  // One frame; a signal (e.g. the profiler's) interrupting the call is retried, never a lost frame.
  bool SendPart(const void* data, size_t size, int flags) {
    for (;;) {
      if (zmq_send(socket_, data, size, flags | ZMQ_DONTWAIT) >= 0) return true;
      if (zmq_errno() != EINTR) return false;
    }
  }

  // connectionEvents() -> [accepted, disconnected] since the last call.
  Napi::Value ConnectionEvents(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (monitor_) DrainMonitor();
    Napi::Array out = Napi::Array::New(env, 2);
    out.Set(0u, Napi::Number::New(env, accepted_));
    out.Set(1u, Napi::Number::New(env, disconnected_));
    accepted_ = 0;
    disconnected_ = 0;
    return out;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Shut();
    return info.Env().Undefined();
  }

  Napi::Value Closed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), socket_ == nullptr); }
};

}  // namespace

Napi::Function DefineZmqRouter(Napi::Env env) { return ZmqRouterWrap::Define(env); }

}  // namespace ns3ts
