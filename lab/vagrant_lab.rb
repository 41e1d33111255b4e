# The Vagrant lab's machines as plain data, derived from lab/topology.yaml: the Vagrantfile builds exactly
# these, and the tests compare them with what the container lab builds (`ruby lab/vagrant_lab.rb` prints JSON).
require "yaml"
require "json"
require "ipaddr"

module VagrantLab
  TOPOLOGY_FILE = File.join(__dir__, "topology.yaml")

  # An environment variable holding a positive integer, or the default; anything else is an error, not a guess.
  def self.positive_env(env, name, default)
    value = env[name]
    return default if value.nil? || value.empty?
    raise ArgumentError, "#{name}=#{value.inspect}: expected a positive integer" unless value =~ /\A[1-9]\d*\z/
    value.to_i
  end

  def self.netmask(prefix)
    IPAddr.new("255.255.255.255").mask(prefix.to_i).to_s
  end

  # A host's address moved into another network, keeping its host part (10.213.0.11 -> 192.168.56.11 in a /24).
  def self.move(address, network)
    net = IPAddr.new(network)
    prefix = network.split("/")[1].to_i
    host_bits = IPAddr.new(address).to_i & ((1 << (32 - prefix)) - 1)
    IPAddr.new(net.to_i | host_bits, Socket::AF_INET).to_s
  end

  # Everything `vagrant up` creates, per machine, plus the settings that come from the environment.
  def self.plan(env = ENV, topology_file = TOPOLOGY_FILE)
    topo = YAML.safe_load(File.read(topology_file))
    vagrant = topo.fetch("vagrant")
    mgmt_net = vagrant.fetch("management")
    wan_net = topo.fetch("wan").fetch("network")
    container_mgmt = topo.fetch("management").fetch("network")
    unless IPAddr.new("192.168.56.0/21").include?(IPAddr.new(mgmt_net))
      warn "#{topology_file}: vagrant.management #{mgmt_net} is outside 192.168.56.0/21: VirtualBox refuses it unless /etc/vbox/networks.conf allows it"
    end
    hosts = topo.fetch("hosts").map { |h| [h, false] }
    # The arbiter (replica 3 arbiter 1) in the inventory as role: arbiter, like `npm run lab -- up --with arbiter`.
    hosts << [topo.fetch("arbiter").merge("role" => "arbiter"), false] if env["GFS_VAGRANT_ARBITER"] == "1"
    hosts << [topo.fetch("intruder"), true] if env["LAB_INTRUDER"] == "1"
    driver = env.fetch("GFS_VAGRANT_LIBVIRT_DRIVER", "kvm")
    raise ArgumentError, "GFS_VAGRANT_LIBVIRT_DRIVER=#{driver.inspect}: expected kvm or qemu" unless %w[kvm qemu].include?(driver)
    {
      "box" => env["GFS_VAGRANT_BOX"].to_s.empty? ? "debian/bookworm64" : env["GFS_VAGRANT_BOX"],
      "libvirtDriver" => driver,
      "isolated" => env["GFS_VAGRANT_ISOLATED"] == "1",
      "management" => { "network" => mgmt_net, "netmask" => netmask(mgmt_net.split("/")[1]) },
      "wan" => { "network" => wan_net, "netmask" => netmask(wan_net.split("/")[1]) },
      "machines" => hosts.map do |h, intruder|
        raise ArgumentError, "#{topology_file}: #{h['name']}: management #{h['management']} is not in #{container_mgmt}" unless IPAddr.new(container_mgmt).include?(IPAddr.new(h.fetch("management")))
        {
          "name" => h.fetch("name"),
          "management" => move(h.fetch("management"), mgmt_net),
          "wan" => h.fetch("wan"),
          "dataDiskMb" => h.fetch("dataDiskMb"),
          "memoryMb" => positive_env(env, "GFS_VAGRANT_MEMORY_MB", h.fetch("memoryMb")),
          "cpus" => positive_env(env, "GFS_VAGRANT_CPUS", vagrant.fetch("cpus", 2)),
          "inInventory" => !intruder,
        }.merge(h["role"] ? { "role" => h["role"] } : {})
      end,
    }
  end
end

puts JSON.pretty_generate(VagrantLab.plan) if $PROGRAM_NAME == __FILE__
