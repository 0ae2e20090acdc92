package wirecap

import (
	"encoding/binary"
	"fmt"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Offsets in the TPACKET_V3 ring (linux/if_packet.h): a block starts with
// struct tpacket_block_desc (version, offset_to_priv, then the
// tpacket_hdr_v1 fields used here); each packet with struct tpacket3_hdr,
// then struct sockaddr_ll at TPACKET_ALIGN(sizeof(struct tpacket3_hdr)).
const (
	bdStatus   = 8
	bdNumPkts  = 12
	bdFirstPkt = 16
	bdSize     = 48 // the descriptor: no packet starts before it
	h3Next     = 0
	h3Sec      = 4
	h3Nsec     = 8
	h3Snaplen  = 12
	h3Net      = 26
	h3Sll      = 48 // TPACKET_ALIGN(sizeof(struct tpacket3_hdr))
	sllPktType = 10 // offset of sll_pkttype in struct sockaddr_ll
	sllSize    = 20
)

// ring is a TPACKET_V3 receive ring shared with the kernel: it fills
// blocks of packets and hands each to us (TP_STATUS_USER) when it is full
// or ringRetire passed; we give it back (TP_STATUS_KERNEL) once read.
// The kernel stamps every packet as it writes it (tpacket_rcv: the skb's
// software receive stamp if it has one, else the time of the write), on
// the receive path, before TCP processes the segment.
type ring struct {
	mem       []byte
	blockSize int
	blocks    int
	next      int // the block to read next
}

// mapRing sets TPACKET_V3 on fd and maps a ring of about size bytes.
func mapRing(fd, size int) (*ring, error) {
	blocks := max(size/ringBlock, 2)
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_VERSION, unix.TPACKET_V3); err != nil {
		return nil, fmt.Errorf("set TPACKET_V3: %w", err)
	}
	req := unix.TpacketReq3{
		Block_size:     ringBlock,
		Block_nr:       uint32(blocks),
		Frame_size:     ringFrame,
		Frame_nr:       uint32(ringBlock / ringFrame * blocks),
		Retire_blk_tov: uint32(ringRetire / time.Millisecond),
	}
	if err := unix.SetsockoptTpacketReq3(fd, unix.SOL_PACKET, unix.PACKET_RX_RING, &req); err != nil {
		return nil, fmt.Errorf("set up the receive ring (%d blocks of %d bytes): %w", blocks, ringBlock, err)
	}
	mem, err := unix.Mmap(fd, 0, ringBlock*blocks, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("map the receive ring: %w", err)
	}
	return &ring{mem: mem, blockSize: ringBlock, blocks: blocks}, nil
}

// packetFunc takes one packet (from its network header on), the kernel's
// timestamp and its sll_pkttype. pkt is valid only during the call.
type packetFunc func(pkt []byte, at time.Time, pktType uint8)

// read hands every packet of the blocks the kernel has filled to fn, in
// order, and gives the blocks back. It returns the packets read and those
// whose ring entry did not make sense (never seen; then the rest of that
// block is skipped).
func (r *ring) read(fn packetFunc) (n, bad int) {
	ne := binary.NativeEndian
	for {
		b := r.mem[r.next*r.blockSize : (r.next+1)*r.blockSize]
		status := (*uint32)(unsafe.Pointer(&b[bdStatus]))
		if atomic.LoadUint32(status)&unix.TP_STATUS_USER == 0 {
			return n, bad
		}
		num := int(ne.Uint32(b[bdNumPkts:]))
		off := int(ne.Uint32(b[bdFirstPkt:]))
		for i := range num {
			if off < bdSize || off+h3Sll+sllSize > len(b) {
				bad += num - i
				break
			}
			h := b[off:]
			snap := int(ne.Uint32(h[h3Snaplen:]))
			net := int(ne.Uint16(h[h3Net:]))
			if net < h3Sll+sllSize || net+snap > len(h) {
				bad += num - i
				break
			}
			at := time.Unix(int64(ne.Uint32(h[h3Sec:])), int64(ne.Uint32(h[h3Nsec:])))
			fn(h[net:net+snap], at, h[h3Sll+sllPktType])
			n++
			next := int(ne.Uint32(h[h3Next:]))
			if next == 0 {
				if i != num-1 {
					bad += num - i - 1
				}
				break
			}
			off += next
		}
		atomic.StoreUint32(status, unix.TP_STATUS_KERNEL)
		r.next = (r.next + 1) % r.blocks
	}
}

func (r *ring) unmap() error {
	if err := unix.Munmap(r.mem); err != nil {
		return fmt.Errorf("unmap the receive ring: %w", err)
	}
	return nil
}
