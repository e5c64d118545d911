// SPDX-License-Identifier: GPL-2.0

//! Routing netlink: RTNL lock and link types (`rtnl_link_ops`).
//!
//! C headers: [`include/net/rtnetlink.h`](srctree/include/net/rtnetlink.h),
//! [`include/linux/rtnetlink.h`](srctree/include/linux/rtnetlink.h),
//! [`include/net/netlink.h`](srctree/include/net/netlink.h).
//!
//! # Device lifecycle
//!
//! A [`Registration`] registers a link kind with `rtnl_link_register()`. Devices of that kind
//! are created either by user space (`ip link add NAME type KIND`), which calls
//! [`LinkOps::newlink`] on a device allocated by the core with the setup of
//! [`LinkOps::Device`], or by the driver with [`Registration::create_device`]. Both kinds of
//! devices are removed with `ip link del` (which calls [`LinkOps::dellink`] and unregisters the
//! device) and when the [`Registration`] is dropped (`rtnl_link_unregister()` deletes all the
//! devices of the kind, in all namespaces). The core frees the devices once they are unregistered
//! and no longer referenced; their private data is dropped at that point.
//!
//! For `ip link add ... type KIND` to load the module, declare the alias `rtnl-link-KIND` in
//! `module!` (`alias: ["rtnl-link-KIND"]`).

use crate::{
    bindings,
    error::{
        from_result,
        to_result,
        VTABLE_DEFAULT_ERROR, //
    },
    net::device::{self, DeviceOps, Registered, TypedDevice, Unregistered},
    prelude::*,
    sync::aref::ARef,
    types::Opaque,
};
use core::{cell::Cell, marker::PhantomData, ptr::NonNull};

/// The devices the core unregisters together after [`LinkOps::dellink`] (the `list_head` of
/// `unreg_list`s that `dellink` gets, later passed to `unregister_netdevice_many()`).
///
/// # Invariants
///
/// `head` is null or points to a list head that is valid for `'a`, on which the core unregisters
/// what is queued once the `dellink` callbacks have run; RTNL is held for `'a`.
pub struct UnregisterList<'a> {
    head: *mut bindings::list_head,
    _p: PhantomData<&'a mut bindings::list_head>,
}

impl UnregisterList<'_> {
    /// # Safety
    ///
    /// `head` is null or valid for the returned lifetime, and is a list the core unregisters
    /// (as `dellink`'s `head`); RTNL is held for that lifetime.
    unsafe fn from_raw(head: *mut bindings::list_head) -> Self {
        // INVARIANT: The caller guarantees it.
        Self {
            head,
            _p: PhantomData,
        }
    }

    /// Queues `dev` to be unregistered with the device being deleted
    /// (`unregister_netdevice_queue()`, as veth does with its peer), and returns `true`; or returns
    /// `false` if it is not registered (being unregistered already, or never registered), which
    /// leaves it alone. Queuing a device already on this list keeps it there once.
    pub fn queue(&mut self, dev: &device::Device, _rtnl: &Rtnl) -> bool {
        let dev = dev.as_raw();
        // SAFETY: `dev` is valid (it is borrowed); RTNL is held, which orders this read with
        // every change of the state.
        if unsafe { device::reg_state(dev) } != bindings::netdev_reg_state_NETREG_REGISTERED {
            return false;
        }
        // SAFETY: RTNL is held and `dev` is registered, so its `unreg_list` is on no list but
        // possibly this one (RTNL has been held since the core started this unregistration);
        // `self.head` is null (an immediate unregistration) or the list the core unregisters
        // (type invariants). The core holds its own references until the unregistration is done.
        unsafe { bindings::unregister_netdevice_queue(dev, self.head) };
        true
    }
}

/// Proof that the RTNL lock (`rtnl_lock()`) is held.
///
/// Functions that require RTNL take a `&Rtnl`. A `&Rtnl` is handed to callbacks that run with
/// RTNL held, or obtained from an [`RtnlGuard`].
///
/// # Invariants
///
/// RTNL is held for the lifetime of any `&Rtnl`.
pub struct Rtnl {
    // Not `Send`/`Sync`: the lock is held by the current thread.
    _not_send: PhantomData<*mut ()>,
}

impl Rtnl {
    /// Returns a token for a context where RTNL is known to be held.
    ///
    /// # Safety
    ///
    /// RTNL must be held by the current thread for `'a`.
    pub unsafe fn assume_held<'a>() -> &'a Rtnl {
        // SAFETY: `Rtnl` is a zero-sized type, so a dangling aligned pointer is a valid reference.
        // INVARIANT: The caller guarantees that RTNL is held for `'a`.
        unsafe { NonNull::<Rtnl>::dangling().as_ref() }
    }
}

/// A guard that holds RTNL, see [`lock`].
///
/// Dropping the guard releases RTNL with `rtnl_unlock()`, which also finishes the pending
/// unregistrations of network devices (this may sleep and wait for device references to be
/// released).
pub struct RtnlGuard {
    rtnl: Rtnl,
}

/// Acquires RTNL (`rtnl_lock()`). Sleeps.
pub fn lock() -> RtnlGuard {
    // SAFETY: FFI call without preconditions (it must be called in process context).
    unsafe { bindings::rtnl_lock() };
    // INVARIANT: RTNL is held until the guard is dropped.
    RtnlGuard {
        rtnl: Rtnl {
            _not_send: PhantomData,
        },
    }
}

impl core::ops::Deref for RtnlGuard {
    type Target = Rtnl;

    fn deref(&self) -> &Rtnl {
        &self.rtnl
    }
}

impl Drop for RtnlGuard {
    fn drop(&mut self) {
        // SAFETY: RTNL was acquired by `lock()`.
        unsafe { bindings::rtnl_unlock() };
    }
}

/// Returns the total size of a netlink attribute with `payload` bytes of payload
/// (`nla_total_size()`), for [`LinkOps::get_size`].
pub const fn nla_total_size(payload: usize) -> usize {
    const NLA_ALIGNTO: usize = 4;
    const NLA_HDRLEN: usize =
        (size_of::<bindings::nlattr>() + NLA_ALIGNTO - 1) & !(NLA_ALIGNTO - 1);
    (NLA_HDRLEN + payload + NLA_ALIGNTO - 1) & !(NLA_ALIGNTO - 1)
}

/// Attribute indices of `IFLA_*` attributes (the `tb` array), see [`crate::net::rtnl::Attrs`].
pub mod ifla {
    use crate::bindings;

    /// `IFLA_ADDRESS`: the MAC address.
    pub const ADDRESS: u16 = bindings::IFLA_ADDRESS as u16;
    /// Highest `IFLA_*` attribute (`IFLA_MAX`).
    pub const MAX: u16 = (bindings::__IFLA_MAX - 1) as u16;
}

/// A netlink attribute validation policy entry (`struct nla_policy`), see [`LinkOps::POLICY`].
#[repr(transparent)]
pub struct Policy(bindings::nla_policy);

// SAFETY: `Policy` is immutable and only contains plain data (the pointers of the union are
// never set by the constructors).
unsafe impl Sync for Policy {}

impl Policy {
    const fn new(ty: u32, len: u16) -> Self {
        let mut p: bindings::nla_policy = pin_init::zeroed();
        p.type_ = ty as u8;
        p.len = len;
        Self(p)
    }

    /// An attribute that is not validated (`NLA_UNSPEC`, no length check); use for index 0.
    pub const fn unspec() -> Self {
        Self::new(bindings::NLA_UNSPEC, 0)
    }

    /// An attribute with at least `min_len` bytes of payload (`NLA_UNSPEC` with a length), e.g.
    /// the `struct ifinfomsg` that starts a peer's attributes (see [`LinkOps::PEER_TYPE`]).
    pub const fn min_len(min_len: u16) -> Self {
        Self::new(bindings::NLA_UNSPEC, min_len)
    }

    /// Binary data of at most `max_len` bytes, `0` for no limit (`NLA_BINARY`).
    pub const fn binary(max_len: u16) -> Self {
        Self::new(bindings::NLA_BINARY, max_len)
    }
}

/// A netlink attribute (`struct nlattr`) of a request being processed.
///
/// # Invariants
///
/// A `&Attr` points to a valid attribute whose payload (`nla_len` bytes, checked by the
/// netlink parser against the message length) is readable for the lifetime of the reference.
#[repr(transparent)]
pub struct Attr(Opaque<bindings::nlattr>);

impl Attr {
    /// Returns the raw pointer to the attribute.
    pub fn as_raw(&self) -> *mut bindings::nlattr {
        self.0.get()
    }

    /// Returns the payload of the attribute (`nla_data()`, `nla_len()`).
    pub fn data(&self) -> &[u8] {
        let hdr = nla_total_size(0);
        // SAFETY: The attribute is valid.
        let total = usize::from(unsafe { (*self.as_raw()).nla_len });
        let len = total.saturating_sub(hdr);
        // SAFETY: The payload starts after the (aligned) header and has `len` readable bytes.
        unsafe { core::slice::from_raw_parts(self.as_raw().cast::<u8>().add(hdr), len) }
    }
}

/// An array of parsed attributes indexed by attribute type (`struct nlattr *tb[]`).
///
/// # Invariants
///
/// `ptr` points to an array of `len` attribute pointers (each null or valid as per [`Attr`]),
/// valid for `'a`.
#[derive(Clone, Copy)]
pub struct Attrs<'a> {
    ptr: *const *mut bindings::nlattr,
    len: usize,
    _p: PhantomData<&'a Attr>,
}

impl<'a> Attrs<'a> {
    /// # Safety
    ///
    /// `ptr` must be null or satisfy the type invariants for `len` entries and `'a`.
    unsafe fn from_raw(ptr: *mut *mut bindings::nlattr, len: usize) -> Option<Self> {
        if ptr.is_null() {
            None
        } else {
            Some(Self {
                ptr,
                len,
                _p: PhantomData,
            })
        }
    }

    /// Returns the attribute of type `ty`, if present.
    pub fn get(&self, ty: u16) -> Option<&'a Attr> {
        let i = usize::from(ty);
        if i >= self.len {
            return None;
        }
        // SAFETY: `i` is in bounds.
        let p = unsafe { *self.ptr.add(i) };
        // SAFETY: Non-null entries are valid attributes for `'a`.
        (!p.is_null()).then(|| unsafe { &*p.cast::<Attr>() })
    }
}

/// Extended ACK of a netlink request (`struct netlink_ext_ack`), for error messages.
///
/// # Invariants
///
/// `ptr` is null or points to a valid `netlink_ext_ack` that may be written for `'a` by the
/// current thread.
pub struct ExtAck<'a> {
    ptr: *mut bindings::netlink_ext_ack,
    // Invariant in `'a`: only attributes of the request may be recorded.
    _p: PhantomData<*mut &'a bindings::netlink_ext_ack>,
}

impl<'a> ExtAck<'a> {
    /// # Safety
    ///
    /// `ptr` must be null or satisfy the type invariants for `'a`.
    unsafe fn from_raw(ptr: *mut bindings::netlink_ext_ack) -> Self {
        Self {
            ptr,
            _p: PhantomData,
        }
    }

    /// An extended ACK that records nothing (for requests that do not come from netlink).
    pub fn none() -> Self {
        // INVARIANT: `ptr` is null.
        Self {
            ptr: core::ptr::null_mut(),
            _p: PhantomData,
        }
    }

    /// Sets the error message reported to user space (`NL_SET_ERR_MSG()`).
    pub fn set_msg(&self, msg: &'static CStr) {
        if !self.ptr.is_null() {
            // SAFETY: `ptr` is valid for writes; `msg` is static, so it outlives the request.
            unsafe { (*self.ptr)._msg = msg.as_char_ptr() };
        }
    }

    fn as_raw(&self) -> *mut bindings::netlink_ext_ack {
        self.ptr
    }
}

/// Parameters of [`LinkOps::newlink`] (`struct rtnl_newlink_params`), for devices of type `T`.
///
/// # Invariants
///
/// `ptr` points to valid parameters for `'a`, whose `data` array (if any) has `data_len`
/// entries; `ops` are the registered `rtnl_link_ops` of the request, whose `setup` is
/// `setup_callback::<T>()`; RTNL is held for `'a`. `peer` is null or a device this object
/// registered.
pub struct NewLinkParams<'a, T: DeviceOps> {
    ptr: *mut bindings::rtnl_newlink_params,
    ops: *const bindings::rtnl_link_ops,
    data_len: usize,
    peer_type: u16,
    peer: Cell<*mut bindings::net_device>,
    _p: PhantomData<(&'a bindings::rtnl_newlink_params, T)>,
}

impl<'a, T: DeviceOps> NewLinkParams<'a, T> {
    /// Returns the driver-specific attributes (`IFLA_INFO_DATA`), validated against
    /// [`LinkOps::POLICY`], if the request contained any.
    pub fn data(&self) -> Option<Attrs<'a>> {
        // SAFETY: `data` is null or points to `maxtype + 1` entries of the request.
        unsafe { Attrs::from_raw((*self.ptr).data, self.data_len) }
    }

    /// Returns the RTNL token (newlink runs with RTNL held).
    pub fn rtnl(&self) -> &'a Rtnl {
        // SAFETY: RTNL is held for `'a` by the type invariants.
        unsafe { Rtnl::assume_held() }
    }

    /// Creates and registers the peer that the request describes in its `IFLA_INFO_DATA`
    /// attribute [`LinkOps::PEER_TYPE`] (a `struct ifinfomsg` and `IFLA_*` attributes: name,
    /// address, MTU, ...; `ip link add A type KIND peer name B [netns NS]`), like veth does,
    /// in the peer's namespace (which the core resolved and checked, `CAP_NET_ADMIN`
    /// included). Returns `None` if the request has no such attribute.
    ///
    /// The peer is named `default_name` (e.g. `c"virtif%d"`) if the request does not name it.
    /// `configure` may change it before its private data is initialised with `init` and it is
    /// registered. If [`LinkOps::newlink`] fails after this, the peer is unregistered again.
    pub fn create_peer<E>(
        &self,
        default_name: &CStr,
        extack: &ExtAck<'a>,
        configure: impl FnOnce(&mut Unregistered<'_, T>),
        init: impl PinInit<T, E>,
    ) -> Result<Option<Registered<'a, T>>>
    where
        Error: From<E>,
    {
        let Some(data) = self.data() else {
            return Ok(None);
        };
        let Some(nla_peer) = data.get(self.peer_type) else {
            return Ok(None);
        };
        if !self.peer.get().is_null() {
            return Err(EEXIST);
        }
        // `rtnl_newlink_peer_net()`.
        // SAFETY: `ptr` is valid; the namespaces are held by the core for the request.
        let net = unsafe {
            let p = &*self.ptr;
            if !p.peer_net.is_null() {
                p.peer_net
            } else if !p.link_net.is_null() {
                p.link_net
            } else {
                p.src_net
            }
        };
        let mut tb = [core::ptr::null_mut::<bindings::nlattr>(); ifla::MAX as usize + 1];
        // SAFETY: `tb` has `IFLA_MAX + 1` entries; the core checked that `nla_peer` starts with
        // a `struct ifinfomsg` (the policy's minimum length) and parsed it the same way already.
        to_result(unsafe {
            bindings::rtnl_nla_parse_ifinfomsg(tb.as_mut_ptr(), nla_peer.as_raw(), extack.as_raw())
        })?;
        let ifmp = nla_peer.data().as_ptr().cast::<bindings::ifinfomsg>();
        let mut name = [0u8; device::IFNAMSIZ];
        let assign = match tb[bindings::IFLA_IFNAME as usize] {
            p if !p.is_null() => {
                // SAFETY: `p` is a valid attribute; `name` has `IFNAMSIZ` bytes.
                unsafe { bindings::nla_strscpy(name.as_mut_ptr().cast(), p, name.len()) };
                bindings::NET_NAME_USER
            }
            _ => {
                let d = default_name.to_bytes();
                let n = d.len().min(name.len() - 1);
                name[..n].copy_from_slice(&d[..n]);
                bindings::NET_NAME_ENUM
            }
        };
        // SAFETY: `net` is alive for the request, `name` is NUL-terminated, `ops` are our
        // registered ops (type invariant), `tb` holds valid attributes of the request, `extack`
        // is null or valid.
        let peer = unsafe {
            bindings::rtnl_create_link(
                net,
                name.as_ptr().cast(),
                assign as u8,
                self.ops,
                tb.as_mut_ptr(),
                extack.as_raw(),
            )
        };
        let peer = crate::error::from_err_ptr(peer)?;
        // SAFETY: `rtnl_create_link()` allocated the device with `ops->setup`, i.e. for `T`; it
        // is not registered and only we know it.
        let mut unreg = unsafe { Unregistered::<T>::from_raw(peer) };
        // SAFETY: `ifmp` points to the peer's `struct ifinfomsg` (see above); a requested index
        // is taken as is (`register_netdevice()` refuses one in use).
        unsafe {
            let index = core::ptr::read_unaligned(&raw const (*ifmp).ifi_index);
            if index != 0 {
                (*peer).ifindex = index;
            }
        }
        configure(&mut unreg);
        // SAFETY: The device is set up for `T`, not registered, exclusively ours, its private
        // data uninitialised, and RTNL is held.
        if let Err(e) = unsafe { device::register_unregistered::<T, E>(peer, init) } {
            // SAFETY: Registration failed; `free_netdev()` defers the free if the device is
            // still being unregistered.
            unsafe { bindings::free_netdev(peer) };
            return Err(e);
        }
        // INVARIANT: `peer` is a device this object registered.
        self.peer.set(peer);
        // SAFETY: The peer is registered, RTNL is held; `ifmp` is the peer's header.
        to_result(unsafe { bindings::rtnl_configure_link(peer, ifmp, 0, core::ptr::null()) })?;
        // SAFETY: The device is registered with initialised private data and stays valid while
        // RTNL is held, i.e. for `'a`.
        Ok(Some(Registered::new(unsafe {
            TypedDevice::from_raw(peer)
        })))
    }
}

/// A netlink message being filled by [`LinkOps::fill_info`].
///
/// # Invariants
///
/// `skb` is a valid netlink message buffer that may be appended to for `'a`.
pub struct LinkInfoMsg<'a> {
    skb: *mut bindings::sk_buff,
    _p: PhantomData<&'a mut bindings::sk_buff>,
}

impl LinkInfoMsg<'_> {
    /// Appends an attribute with the given payload (`nla_put()`); fails with `EMSGSIZE` if there
    /// is not enough room (see [`LinkOps::get_size`]).
    pub fn put_bytes(&mut self, ty: u16, data: &[u8]) -> Result {
        let len = c_int::try_from(data.len()).map_err(|_| EMSGSIZE)?;
        // SAFETY: `skb` is valid; `data` is readable for `len` bytes.
        to_result(unsafe {
            bindings::nla_put(self.skb, c_int::from(ty), len, data.as_ptr().cast())
        })
    }
}

/// A link type (`struct rtnl_link_ops`).
///
/// The implementing type is a marker; [`LinkOps::Device`] is the private data type of the
/// devices of this kind.
#[vtable]
pub trait LinkOps: Sized + Send + Sync + 'static {
    /// The private data (and [`DeviceOps`]) of the devices of this kind.
    type Device: DeviceOps;

    /// The kind (`ip link add ... type KIND`).
    const KIND: &'static CStr;

    /// The policy of the driver-specific attributes (`IFLA_INFO_DATA`), indexed by attribute
    /// type; entry 0 is unused (use [`Policy::unspec`]). `maxtype` is `POLICY.len() - 1`, which
    /// must not exceed 50 (`RTNL_MAX_TYPE`).
    const POLICY: &'static [Policy] = &[];

    /// The `IFLA_INFO_DATA` attribute that describes a peer to create with the device (like
    /// `VETH_INFO_PEER`), or 0 for none; its policy should be `Policy::min_len(size of struct
    /// ifinfomsg)`. See [`NewLinkParams::create_peer`].
    const PEER_TYPE: u16 = 0;

    /// Validates the attributes of a new link or of a change request (`validate`).
    ///
    /// `tb` holds the `IFLA_*` attributes, `data` the driver-specific ones. For a peer
    /// ([`LinkOps::PEER_TYPE`]) it is called with the peer's `tb` and no `data`.
    fn validate<'a>(_tb: &Attrs<'a>, _data: Option<&Attrs<'a>>, _extack: &ExtAck<'a>) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Configures and registers a new device (`newlink`), with RTNL held.
    ///
    /// The device was allocated and set up by the core; it must be registered with
    /// [`Unregistered::register`], whose result is returned. If an error is returned after the
    /// device was registered, it is unregistered again (and so is a peer created with
    /// [`NewLinkParams::create_peer`]).
    fn newlink<'a>(
        dev: Unregistered<'a, Self::Device>,
        params: &NewLinkParams<'a, Self::Device>,
        extack: &ExtAck<'a>,
    ) -> Result<Registered<'a, Self::Device>>;

    /// Called before a device of this kind is unregistered (`dellink`), with RTNL held.
    ///
    /// The device is always unregistered afterwards (it is queued on `list` with
    /// `unregister_netdevice_queue()`). This is the place to release references to other devices
    /// (e.g. a peer), which would otherwise prevent their unregistration from completing, and to
    /// queue devices that go with this one on `list` (a veth-like peer): they are unregistered in
    /// the same batch, with one grace period for all. What RCU readers may still use can be freed
    /// in [`DeviceOps::uninit`], after the grace period the unregistration waits for anyway. The
    /// default does nothing.
    fn dellink(_dev: &TypedDevice<Self::Device>, _rtnl: &Rtnl, _list: &mut UnregisterList<'_>) {}

    /// Changes the configuration of an existing device (`changelink`), with RTNL held.
    fn changelink<'a>(
        _dev: &'a TypedDevice<Self::Device>,
        _rtnl: &'a Rtnl,
        _tb: &Attrs<'a>,
        _data: Option<&Attrs<'a>>,
        _extack: &ExtAck<'a>,
    ) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Returns the room needed by [`LinkOps::fill_info`] (`get_size`), see [`nla_total_size`].
    ///
    /// Same context as [`LinkOps::fill_info`].
    fn get_size(_dev: &TypedDevice<Self::Device>) -> usize {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Dumps the driver-specific attributes of a device (`fill_info`).
    ///
    /// May be called with RTNL held or only under RCU (link dumps), so it must not sleep.
    fn fill_info(_dev: &TypedDevice<Self::Device>, _msg: &mut LinkInfoMsg<'_>) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// Highest attribute type accepted by `rtnl_link_register()`.
const RTNL_MAX_TYPE: usize = 50;

struct Adapter<L: LinkOps>(PhantomData<L>);

impl<L: LinkOps> Adapter<L> {
    fn maxtype() -> usize {
        L::POLICY.len().saturating_sub(1)
    }

    /// # Safety
    ///
    /// Called by the core as `validate` with valid attribute arrays.
    unsafe extern "C" fn validate(
        tb: *mut *mut bindings::nlattr,
        data: *mut *mut bindings::nlattr,
        extack: *mut bindings::netlink_ext_ack,
    ) -> c_int {
        from_result(|| {
            // SAFETY: `tb` has `IFLA_MAX + 1` entries, `data` is null or has `maxtype + 1`
            // entries, both valid for the duration of the call; `extack` is null or valid.
            let (tb, data, extack) = unsafe {
                (
                    Attrs::from_raw(tb, usize::from(ifla::MAX) + 1),
                    Attrs::from_raw(data, Self::maxtype() + 1),
                    ExtAck::from_raw(extack),
                )
            };
            let tb = tb.ok_or(EINVAL)?;
            L::validate(&tb, data.as_ref(), &extack)?;
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// Called by the core as `newlink`, with RTNL held, for a device allocated with our `setup`.
    unsafe extern "C" fn newlink(
        dev: *mut bindings::net_device,
        params: *mut bindings::rtnl_newlink_params,
        extack: *mut bindings::netlink_ext_ack,
    ) -> c_int {
        // SAFETY: The core allocated the device with `priv_size::<L::Device>()` and our setup,
        // it is not registered and exclusively accessed by this callback.
        let unreg = unsafe { Unregistered::<L::Device>::from_raw(dev) };
        // INVARIANT: The core calls `newlink` with valid parameters and RTNL held, for a device
        // whose `rtnl_link_ops` are ours.
        let params = NewLinkParams {
            ptr: params,
            // SAFETY: `dev` is valid.
            ops: unsafe { (*dev).rtnl_link_ops },
            data_len: Self::maxtype() + 1,
            peer_type: L::PEER_TYPE,
            peer: Cell::new(core::ptr::null_mut()),
            _p: PhantomData,
        };
        // SAFETY: `extack` is null or valid for the duration of the call.
        let extack = unsafe { ExtAck::from_raw(extack) };
        let res = match L::newlink(unreg, &params, &extack) {
            Ok(reg) if reg.as_raw() == dev => return 0,
            Ok(_) => EINVAL,
            Err(e) => e,
        };
        // The core frees the device on error, which must not be registered anymore, and a peer
        // registered for it goes too.
        for d in [dev, params.peer.get()] {
            if d.is_null() {
                continue;
            }
            // SAFETY: `dev` and the peer are null or valid, and `d` is not null.
            let state = unsafe { device::reg_state(d) };
            if state == bindings::netdev_reg_state_NETREG_REGISTERED {
                // SAFETY: RTNL is held and the device is registered. The core's `free_netdev()`
                // defers the free of `dev` to the end of the unregistration.
                unsafe { bindings::unregister_netdevice_queue(d, core::ptr::null_mut()) };
            }
        }
        res.to_errno()
    }

    /// # Safety
    ///
    /// Called by the core as `dellink`, with RTNL held, for a registered device of this kind.
    unsafe extern "C" fn dellink(dev: *mut bindings::net_device, head: *mut bindings::list_head) {
        if L::HAS_DELLINK {
            // SAFETY: The device is a registered device of this kind and RTNL is held.
            let (tdev, rtnl) =
                unsafe { (TypedDevice::<L::Device>::from_raw(dev), Rtnl::assume_held()) };
            // SAFETY: `head` is the caller's list, valid for the call, or null.
            let mut list = unsafe { UnregisterList::from_raw(head) };
            L::dellink(tdev, rtnl, &mut list);
        }
        // SAFETY: RTNL is held and the device is registered; `head` is the caller's list.
        unsafe { bindings::unregister_netdevice_queue(dev, head) };
    }

    /// # Safety
    ///
    /// Called by the core as `changelink`, with RTNL held, for a registered device of this kind.
    unsafe extern "C" fn changelink(
        dev: *mut bindings::net_device,
        tb: *mut *mut bindings::nlattr,
        data: *mut *mut bindings::nlattr,
        extack: *mut bindings::netlink_ext_ack,
    ) -> c_int {
        from_result(|| {
            // SAFETY: See `validate()` and `dellink()`.
            let (tdev, rtnl, tb, data, extack) = unsafe {
                (
                    TypedDevice::<L::Device>::from_raw(dev),
                    Rtnl::assume_held(),
                    Attrs::from_raw(tb, usize::from(ifla::MAX) + 1),
                    Attrs::from_raw(data, Self::maxtype() + 1),
                    ExtAck::from_raw(extack),
                )
            };
            let tb = tb.ok_or(EINVAL)?;
            L::changelink(tdev, rtnl, &tb, data.as_ref(), &extack)?;
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// Called by the core as `get_size` for a registered device of this kind.
    unsafe extern "C" fn get_size(dev: *const bindings::net_device) -> usize {
        // SAFETY: The device is a registered device of this kind.
        L::get_size(unsafe { TypedDevice::<L::Device>::from_raw(dev.cast_mut()) })
    }

    /// # Safety
    ///
    /// Called by the core as `fill_info` for a registered device of this kind.
    unsafe extern "C" fn fill_info(
        skb: *mut bindings::sk_buff,
        dev: *const bindings::net_device,
    ) -> c_int {
        from_result(|| {
            // SAFETY: The device is a registered device of this kind.
            let tdev = unsafe { TypedDevice::<L::Device>::from_raw(dev.cast_mut()) };
            let mut msg = LinkInfoMsg {
                skb,
                _p: PhantomData,
            };
            L::fill_info(tdev, &mut msg)?;
            Ok(0)
        })
    }

    /// Writes the `rtnl_link_ops` of `L` into `slot`.
    ///
    /// # Safety
    ///
    /// `slot` must be valid for writes.
    unsafe fn write_ops(slot: *mut bindings::rtnl_link_ops) {
        // SAFETY: `slot` is valid for writes; all-zeroes is a valid (empty) `rtnl_link_ops`.
        unsafe { slot.write_bytes(0, 1) };
        // SAFETY: `slot` is valid and initialised.
        let ops = unsafe { &mut *slot };
        ops.kind = L::KIND.as_char_ptr();
        ops.priv_size = device::priv_size::<L::Device>();
        ops.setup = Some(device::setup_callback::<L::Device>);
        if !L::POLICY.is_empty() {
            ops.maxtype = Self::maxtype() as c_uint;
            ops.policy = L::POLICY.as_ptr().cast();
        }
        ops.peer_type = L::PEER_TYPE;
        if L::HAS_VALIDATE {
            ops.validate = Some(Self::validate);
        }
        ops.newlink = Some(Self::newlink);
        ops.dellink = Some(Self::dellink);
        if L::HAS_CHANGELINK {
            ops.changelink = Some(Self::changelink);
        }
        if L::HAS_GET_SIZE {
            ops.get_size = Some(Self::get_size);
        }
        if L::HAS_FILL_INFO {
            ops.fill_info = Some(Self::fill_info);
        }
    }
}

/// A registered link type (`rtnl_link_register()`).
///
/// Dropping it unregisters the link type with `rtnl_link_unregister()`, which first deletes all
/// the devices of this kind (those created through netlink and those created with
/// [`Registration::create_device`]) and waits until they are freed. Hence the registration must
/// be dropped before the module is unloaded (e.g. by storing it in the module), and references to
/// devices of this kind ([`ARef`]) must be dropped before it, otherwise dropping it waits forever.
///
/// # Invariants
///
/// `ops` holds the `rtnl_link_ops` of `L`, registered with `rtnl_link_register()` until the
/// registration is dropped.
#[pin_data(PinnedDrop)]
pub struct Registration<L: LinkOps> {
    #[pin]
    ops: Opaque<bindings::rtnl_link_ops>,
    _p: PhantomData<L>,
}

// SAFETY: `rtnl_link_unregister()` may be called from any thread.
unsafe impl<L: LinkOps> Send for Registration<L> {}
// SAFETY: The `&self` methods only create devices, which is synchronised by RTNL.
unsafe impl<L: LinkOps> Sync for Registration<L> {}

impl<L: LinkOps> Registration<L> {
    /// Registers the link type `L`.
    pub fn new() -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            ops <- Opaque::try_ffi_init(|slot: *mut bindings::rtnl_link_ops| {
                if Adapter::<L>::maxtype() > RTNL_MAX_TYPE {
                    return Err(EINVAL);
                }
                // SAFETY: `slot` is valid for writes.
                unsafe { Adapter::<L>::write_ops(slot) };
                // SAFETY: `slot` holds valid ops whose pointers (`kind`, `policy`, callbacks)
                // are static. The ops are pinned and unregistered in `drop` before they are
                // freed.
                // INVARIANT: On success, the ops are registered.
                to_result(unsafe { bindings::rtnl_link_register(slot) })
            }),
            _p: PhantomData,
        })
    }

    /// Creates and registers a device of this kind in the initial namespace, outside of netlink
    /// (e.g. at module load).
    ///
    /// `name` may contain a `%d` that is replaced with the first free number. The device is set
    /// up like devices created with `ip link add`, and its private data is initialised with
    /// `init`. It is removed with `ip link del` or when the registration is dropped; the returned
    /// reference must be dropped before that.
    ///
    /// Must be called in process context; takes RTNL.
    pub fn create_device<E>(
        &self,
        name: &CStr,
        init: impl PinInit<L::Device, E>,
    ) -> Result<ARef<TypedDevice<L::Device>>>
    where
        Error: From<E>,
    {
        // SAFETY: By the type invariants the ops are registered, with our setup for `L::Device`,
        // until `self` is dropped, which unregisters all devices of this kind.
        unsafe { device::create_device(self.ops.get(), name, 1, 1, init) }
    }
}

#[pinned_drop]
impl<L: LinkOps> PinnedDrop for Registration<L> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: The ops are registered by the type invariants.
        unsafe { bindings::rtnl_link_unregister(self.ops.get()) };
    }
}
